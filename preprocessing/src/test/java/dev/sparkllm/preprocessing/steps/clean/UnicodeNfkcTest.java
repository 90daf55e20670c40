package dev.sparkllm.preprocessing.steps.clean;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnicodeNfkcTest {
  private final UnicodeNfkc step = new UnicodeNfkc();

  @Test
  void normalizedTextIsReturnedAsTheSameInstance() {
    String text = "Plain ASCII and café “quotes”.";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void compatibilityFormsBecomePlainForms() {
    assertThat(keep(step, "\uFB01ne \uFF26\uFF55\uFF4C\uFF4C\u2026 x\u00B2 a\u00A0b"))
        .isEqualTo("fine Full... x2 a b");
  }

  @Test
  void decomposedAccentsCompose() {
    assertThat(keep(step, "cafe\u0301")).isEqualTo("caf\u00E9");
  }
}
