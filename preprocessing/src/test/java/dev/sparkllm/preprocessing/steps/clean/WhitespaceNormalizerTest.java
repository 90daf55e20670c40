package dev.sparkllm.preprocessing.steps.clean;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WhitespaceNormalizerTest {
  private final WhitespaceNormalizer step = new WhitespaceNormalizer();

  @Test
  void normalTextIsReturnedAsTheSameInstance() {
    String text = "One line.\nNext line.\n\nNew paragraph.";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void collapsesSpacesTrimsLinesAndLimitsBlankLines() {
    assertThat(keep(step, "  a \t b  \r\n\r\n\r\n  c\t\n d\u00A0\u2003e  \n \n\t\n"))
        .isEqualTo("a b\n\nc\nd e");
  }

  @Test
  void aLoneCarriageReturnIsALineBreak() {
    assertThat(keep(step, "old\rmac\r\rtext")).isEqualTo("old\nmac\n\ntext");
  }

  @Test
  void onlyWhitespaceIsEmpty() {
    assertThat(reason(step, " \n\t\r\n ")).isEqualTo("empty");
  }
}
