package dev.sparkllm.preprocessing.steps.filters;

import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.steps.Prose;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GopherRepetitionFilterTest {
  private final GopherRepetitionFilter step =
      new GopherRepetitionFilter(Config.defaults().section("preprocess.gopher_repetition"));

  private static final String LONG =
      "this one paragraph is long enough that repeating it once is most of the text by characters";

  /** k distinct 4-character words: p000 p001 ... */
  private static String filler(char prefix, int k) {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      words.add(String.format("%c%03d", prefix, i));
    }
    return String.join(" ", words);
  }

  @Test
  void ordinaryProsePasses() {
    assertThat(reason(step, Prose.PARAGRAPHS)).isNull();
  }

  @Test
  void duplicateParagraphFraction() {
    // 4 paragraphs, 2 seen before: 0.5
    assertThat(reason(step, "alpha one.\n\nbeta two.\n\nalpha one.\n\nalpha one."))
        .isEqualTo("dup_para_frac");
  }

  @Test
  void duplicateParagraphCharacterFraction() {
    // 1 of 8 paragraphs is a repeat, but it holds 90 of 206 characters
    String text = LONG + "\n\na1\n\nb2\n\nc3\n\nd4\n\ne5\n\nf6\n\n" + LONG;
    assertThat(reason(step, text)).isEqualTo("dup_para_char_frac");
  }

  @Test
  void duplicateLineFraction() {
    assertThat(reason(step, "alpha\nbeta\nalpha\nalpha")).isEqualTo("dup_line_frac");
  }

  @Test
  void blankLinesAreNotDuplicateLines() {
    // n-gram rules off: in a text this short even a single 3-gram is over 18% of the characters
    GopherRepetitionFilter linesOnly =
        new GopherRepetitionFilter(
            section("gopher_repetition", "top_n_grams=[]", "dup_n_grams=[]"));
    assertThat(reason(linesOnly, "alpha beta gamma\n\nnorth south\n\neast west\n\nup down left"))
        .isNull();
  }

  @Test
  void duplicateLineCharacterFraction() {
    String text = LONG + "\na1\nb2\nc3\nd4\ne5\nf6\n" + LONG;
    assertThat(reason(step, text)).isEqualTo("dup_line_char_frac");
  }

  @Test
  void topTwoGram() {
    // "alpha beta" 3 times: 30 of 44 characters
    assertThat(reason(step, "alpha beta alpha beta alpha beta gamma delta"))
        .isEqualTo("top_2_gram");
  }

  @Test
  void topThreeGram() {
    // "alpha beta gamma" 3 times: 48/210 = 0.229 > 0.18, while its 2-grams reach 0.157
    String g = "alpha beta gamma ";
    String text = g + filler('w', 10) + " " + g + filler('x', 10) + " " + g + filler('y', 12);
    assertThat(reason(step, text)).isEqualTo("top_3_gram");
  }

  @Test
  void topFourGram() {
    // 4-gram 3 x 29 chars = 0.19 > 0.16; best 3-gram 3 x 19 = 0.124
    String g = "extraordinary to be marvelous ";
    String text = g + filler('w', 25) + " " + g + filler('x', 25) + " " + g + filler('y', 24);
    assertThat(reason(step, text)).isEqualTo("top_4_gram");
  }

  @Test
  void duplicatedFiveGrams() {
    // a 10-word run seen twice: its repeat is 50 of 299 characters (0.167 > 0.15)
    String seq = "alpha bravo delta eagle fifth gamma hotel india joker kilos";
    String text = seq + " " + filler('w', 18) + " " + seq + " " + filler('x', 18);
    assertThat(reason(step, text)).isEqualTo("duplicated_5_n_grams");
  }

  @Test
  void zeroTurnsARuleOffAndPairsAreConfigurable() {
    GopherRepetitionFilter lenient =
        new GopherRepetitionFilter(
            section("gopher_repetition", "dup_line_frac=0", "top_n_grams=[[2, 0.9]]"));
    assertThat(reason(lenient, "alpha\nbeta\nalpha\nalpha")).isEqualTo("dup_line_char_frac");
    assertThat(reason(lenient, "alpha beta alpha beta alpha beta gamma delta")).isNull();
  }

  @Test
  void splitsLikePythonReSplit() {
    // re.split("\n{2,}", "a\n\nb\nc\n\n\na") == ["a", "b\nc", "a"]: one duplicate of 1 char
    assertThat(GopherRepetitionFilter.duplicates("a\n\nb\nc\n\n\na", 2)).containsExactly(1, 1, 3);
    // re.split("\n+", "\nx\n\nx\n") == ["", "x", "x", ""]
    assertThat(GopherRepetitionFilter.duplicates("\nx\n\nx\n", 1)).containsExactly(2, 1, 4);
  }

  @Test
  void malformedPairsAreAConfigError() {
    assertThatThrownBy(
            () ->
                new GopherRepetitionFilter(section("gopher_repetition", "dup_n_grams=[[0, 0.1]]")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("dup_n_grams");
  }
}
