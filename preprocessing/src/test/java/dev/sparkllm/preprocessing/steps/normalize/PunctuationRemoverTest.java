package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PunctuationRemoverTest {
  private final PunctuationRemover step = new PunctuationRemover();

  @Test
  void removesPunctuationKeepingLinesAndSingleSpaces() {
    assertThat(
            keep(
                step,
                "Hello, world! It's a well-known fact (really) - isn't it?\n\n"
                    + "\u201CQuoted\u201D text\u2026 and/or 1,000 \u2014 snake_case."))
        .isEqualTo(
            "Hello world Its a well known fact really isnt it\n\nQuoted text and or 1000 snake case");
  }

  @Test
  void symbolsAreNotPunctuation() {
    assertThat(keep(step, "$5 + 3 = 8 #1 @me")).isEqualTo("$5 + 3 = 8 1 me");
  }

  @Test
  void textWithoutPunctuationIsTheSameInstance() {
    String text = "nothing to remove here\nat all";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void onlyPunctuationIsEmpty() {
    assertThat(reason(step, "... !!! ???")).isEqualTo("empty");
  }
}
