package dev.sparkllm.preprocessing.steps.filters;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {

  private static List<String> tokens(String text) {
    Tokens t = Tokens.of(text);
    List<String> out = new ArrayList<>();
    for (int k = 0; k < t.size; k++) {
      out.add(text.substring(t.start[k], t.end[k]) + (t.isWord(k) ? "" : "/p"));
    }
    return out;
  }

  @Test
  void wordsKeepInnerMarksAndPunctuationRunsAreOneToken() {
    assertThat(tokens("Don't stop -- it's 3.5 in the U.S. ``well-known''! café\uD83D\uDE00"))
        .containsExactly(
            "Don't",
            "stop",
            "--/p",
            "it's",
            "3.5",
            "in",
            "the",
            "U.S",
            "./p",
            "``/p",
            "well-known",
            "''/p",
            "!/p",
            "café",
            "\uD83D\uDE00/p");
  }

  @Test
  void emptyAndBlankTextHaveNoTokens() {
    assertThat(tokens("")).isEmpty();
    assertThat(tokens(" \n\t ")).isEmpty();
  }
}
