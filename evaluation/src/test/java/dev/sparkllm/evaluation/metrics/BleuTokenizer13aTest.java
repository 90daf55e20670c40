package dev.sparkllm.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class BleuTokenizer13aTest {
  @Test
  void matchesIndependentPythonPortOfSacreBleuRegexes() {
    int n = 0;
    for (JsonNode c : Fixtures.ROOT.get("tokenizer_13a")) {
      String input = c.get("input").asText();
      // sacreBLEU right-strips a segment before tokenizing; Bleu.preprocess does the same.
      assertThat(Bleu.sacreBleuDefaults().preprocess(input))
          .as("13a of %s", input)
          .isEqualTo(c.get("expected").asText());
      n++;
    }
    assertThat(n).isEqualTo(13);
  }

  @Test
  void keepsDecimalsAndThousandsTogetherButSplitsSentencePunctuation() {
    assertThat(Tokenizer13a.tokenize("Pi is 3.14, about 1,000 times 2-3."))
        .isEqualTo("Pi is 3.14 , about 1,000 times 2 - 3 .");
  }

  @Test
  void joinsHyphenatedLineBreaksAndUnescapesEntities() {
    assertThat(Tokenizer13a.tokenize("co-\noperate &quot;a&amp;b&quot; <skipped>&lt;x&gt;"))
        .isEqualTo("cooperate \" a & b \" < x >");
  }
}
