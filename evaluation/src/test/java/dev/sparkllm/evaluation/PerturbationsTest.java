package dev.sparkllm.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerturbationsTest {
  static final List<String> D = List.of("First distractor.", "Second distractor.");

  static String apply(String name, String text, double rate) {
    return Perturbations.apply(name, text, rate, D, 7, "task", 3);
  }

  @Test
  void typosSwapTheMiddleLettersOfWordsOfFourOrMore() {
    assertThat(apply("typos", "the model works well", 1.0)).isEqualTo("the mdoel wroks wlel");
    assertThat(apply("typos", "the model works well", 0.0)).isEqualTo("the model works well");
  }

  @Test
  void caseUpperCasesWordsAndKeepsWhitespace() {
    assertThat(apply("case", "Hello  wide\nworld", 1.0)).isEqualTo("HELLO  WIDE\nWORLD");
  }

  @Test
  void whitespaceAddsASpaceOrNewlineAfterWords() {
    assertThat(apply("whitespace", "a b c", 1.0)).matches("a[ \\n] b[ \\n] c[ \\n]");
    assertThat(apply("whitespace", "a b c", 0.0)).isEqualTo("a b c");
  }

  @Test
  void distractorGoesBeforeThePrompt() {
    assertThat(apply("distractor", "Q?", 0.1))
        .isIn("First distractor. Q?", "Second distractor. Q?");
  }

  @Test
  void sameSeedSameNoiseOtherExampleOtherNoise() {
    String text = "one two three four five six seven eight nine ten eleven twelve";
    assertThat(apply("case", text, 0.5)).isEqualTo(apply("case", text, 0.5));
    assertThat(Perturbations.apply("case", text, 0.5, D, 7, "task", 4))
        .isNotEqualTo(apply("case", text, 0.5));
  }

  @Test
  void unknownPerturbationIsAConfigError() {
    assertThatThrownBy(() -> Perturbations.check(List.of("typos", "emoji")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("unknown 'emoji'");
  }
}
