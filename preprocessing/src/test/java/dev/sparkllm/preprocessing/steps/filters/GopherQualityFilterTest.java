package dev.sparkllm.preprocessing.steps.filters;

import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.steps.Prose;
import org.junit.jupiter.api.Test;

class GopherQualityFilterTest {
  private final GopherQualityFilter step =
      new GopherQualityFilter(Config.defaults().section("preprocess.gopher_quality"));

  /** 60 words, 7 of them after " the ", no symbols. */
  private static final String GOOD =
      "The quick brown fox jumps over the lazy dog and runs into the forest to hide with"
          + " its friends. Birds sing in the tall trees while the river flows gently past the old"
          + " stone bridge. A farmer walks slowly along the dusty road carrying fresh bread and"
          + " cheese for his family who wait patiently at home near the village square.";

  private static String repeat(String s, int n) {
    return String.join("", java.util.Collections.nCopies(n, s));
  }

  @Test
  void ordinaryTextPasses() {
    assertThat(reason(step, GOOD)).isNull();
    assertThat(reason(step, Prose.PARAGRAPHS)).isNull();
  }

  @Test
  void shortDoc() {
    assertThat(reason(step, "The cat sat on the mat with the dog.")).isEqualTo("gopher_short_doc");
  }

  @Test
  void punctuationDoesNotCountAsWords() {
    // 49 words and plenty of punctuation tokens: still short.
    assertThat(reason(step, repeat("the cat, ", 24) + "end ... !!! ?"))
        .isEqualTo("gopher_short_doc");
  }

  @Test
  void longDoc() {
    GopherQualityFilter small =
        new GopherQualityFilter(section("gopher_quality", "min_doc_words=1", "max_doc_words=5"));
    assertThat(reason(small, "The cat and the dog ran to the park.")).isEqualTo("gopher_long_doc");
  }

  @Test
  void averageWordLengthBelowAndAbove() {
    assertThat(reason(step, repeat("to be or not to be ", 10)))
        .isEqualTo("gopher_below_avg_threshold");
    assertThat(reason(step, repeat("extraordinarily ", 50)))
        .isEqualTo("gopher_above_avg_threshold");
  }

  @Test
  void tooManyHashes() {
    assertThat(reason(step, GOOD + " ######")).isNull(); // 6 per 60 words is 0.1, not above it
    assertThat(reason(step, GOOD + " #######")).isEqualTo("gopher_too_many_hashes");
  }

  @Test
  void tooManyEllipsis() {
    String text = GOOD.replace(" the ", " the... ");
    assertThat(reason(step, text)).isEqualTo("gopher_too_many_ellipsis");
    assertThat(reason(step, GOOD.replace(" the ", " the\u2026 ")))
        .isEqualTo("gopher_too_many_ellipsis");
  }

  @Test
  void tooManyBulletLines() {
    assertThat(reason(step, repeat("- the cat sat with the dog of mine\n", 10)))
        .isEqualTo("gopher_too_many_bullets");
    assertThat(reason(step, repeat("\u2022 the cat sat with the dog of mine\n", 10)))
        .isEqualTo("gopher_too_many_bullets");
  }

  @Test
  void tooManyLinesEndingInEllipsis() {
    String line =
        "the cat sat with the dog of mine and then the bird flew away over the house...\n";
    assertThat(reason(step, repeat(line, 10))).isEqualTo("gopher_too_many_end_ellipsis");
  }

  @Test
  void tooFewAlphabeticWords() {
    String numbers = " 1990 1991 1992 1993 1994 1995 1996 1997 1998 1999 2000 2001 2002 2003 2004";
    assertThat(reason(step, GOOD + numbers)).isNull(); // 60 of 75 words = 0.8, not below it
    assertThat(reason(step, GOOD + numbers + " 2005")).isEqualTo("gopher_below_alpha_threshold");
  }

  @Test
  void notEnoughStopWords() {
    String text = repeat("cats dogs birds fish run jump swim fly quickly slowly happily sadly ", 5);
    assertThat(reason(step, text)).isEqualTo("gopher_enough_stop_words");
    assertThat(reason(step, text + "The end")).isEqualTo("gopher_enough_stop_words"); // exact case
    assertThat(reason(step, text + "the end of it")).isNull();
  }

  @Test
  void zeroTurnsARuleOff() {
    GopherQualityFilter lenient =
        new GopherQualityFilter(section("gopher_quality", "min_stop_words=0"));
    String text = repeat("cats dogs birds fish run jump swim fly quickly slowly happily sadly ", 5);
    assertThat(reason(lenient, text)).isNull();
  }
}
