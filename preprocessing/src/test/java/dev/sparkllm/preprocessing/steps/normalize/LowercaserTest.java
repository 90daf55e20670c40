package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class LowercaserTest {
  private final Lowercaser step = new Lowercaser();

  @Test
  void lowercasesIndependentlyOfTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try {
      Locale.setDefault(Locale.forLanguageTag("tr"));
      assertThat(keep(step, "ÀB ISTANBUL\nÉté")).isEqualTo("àb istanbul\nété");
    } finally {
      Locale.setDefault(before);
    }
  }
}
