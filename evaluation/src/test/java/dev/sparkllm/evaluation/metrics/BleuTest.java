package dev.sparkllm.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BleuTest {
  private static final Bleu DEFAULT = Bleu.sacreBleuDefaults();

  // sacreBLEU README example, used by sacreBLEU's test/test_bleu.py (test_corpus_bleu_cases).
  // sacreBLEU takes reference *streams*; here each hypothesis lists its own references.
  private static final List<String> README_HYPS =
      List.of("The dog bit the man.", "It wasn't surprising.", "The man had just bitten him.");
  private static final List<List<String>> README_REFS =
      List.of(
          List.of("The dog bit the man.", "The dog had bit the man."),
          List.of("It was not unexpected.", "No one was surprised."),
          List.of("The man bit him first.", "The man had bitten the dog."));

  // sacreBLEU test/test_sentence_bleu.py, example from its issue #98.
  private static final String RO_REF = "producţia de zahăr brut se exprimă în zahăr alb;";
  private static final String RO_SYS =
      "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

  @Test
  void nltkFixturesAgreeWithin1e9() {
    // NLTK corpus_bleu (method3 = 'exp') on text tokenized by make_fixtures.py's own 13a port.
    Iterator<Map.Entry<String, JsonNode>> cases = Fixtures.ROOT.get("bleu").fields();
    int n = 0;
    while (cases.hasNext()) {
      Map.Entry<String, JsonNode> e = cases.next();
      JsonNode c = e.getValue();
      List<List<String>> refs = new ArrayList<>();
      c.get("references").forEach(r -> refs.add(Fixtures.strings(r)));
      Bleu.Score s = DEFAULT.corpusScore(Fixtures.strings(c.get("hypotheses")), refs);
      assertThat(s.score()).as(e.getKey()).isCloseTo(c.get("score").asDouble(), within(1e-9));
      assertThat(s.counts()).as(e.getKey()).containsExactly(boxed(Fixtures.longs(c.get("counts"))));
      assertThat(s.totals()).as(e.getKey()).containsExactly(boxed(Fixtures.longs(c.get("totals"))));
      assertThat(s.sysLen()).as(e.getKey()).isEqualTo(c.get("sys_len").asLong());
      assertThat(s.refLen()).as(e.getKey()).isEqualTo(c.get("ref_len").asLong());
      n++;
    }
    assertThat(n).isEqualTo(7);
  }

  @Test
  void sacreBleuReadmeExample() {
    // test_bleu.py: default settings and smooth_method='none' both give 48.530827.
    assertThat(DEFAULT.corpusScore(README_HYPS, README_REFS).score())
        .isCloseTo(48.530827, within(1e-6));
    Bleu noSmoothing =
        new Bleu(false, Bleu.Tokenize.THIRTEEN_A, Bleu.Smoothing.NONE, null, 4, false);
    assertThat(noSmoothing.corpusScore(README_HYPS, README_REFS).score())
        .isCloseTo(48.530827, within(1e-6));
    // test_bleu.py: tokenize='none' gives 49.1919566.
    Bleu noTokenizer = new Bleu(false, Bleu.Tokenize.NONE, Bleu.Smoothing.EXP, null, 4, false);
    assertThat(noTokenizer.corpusScore(README_HYPS, README_REFS).score())
        .isCloseTo(49.1919566, within(1e-6));
  }

  @Test
  void emptyHypothesesAreKeptAndScoreZero() {
    // test_bleu.py: ('', '', '') against the README references is 0.0.
    Bleu.Score s = DEFAULT.corpusScore(List.of("", "", ""), README_REFS);
    assertThat(s.score()).isEqualTo(0.0);
    assertThat(s.sysLen()).isZero();
    assertThat(s.bp()).isEqualTo(0.0);
  }

  @Test
  void sacreBleuStatisticsAndScoringCases() {
    // test_bleu.py test_case_statistics.
    Bleu.Score s =
        DEFAULT.sentenceScore(
            "am I am a character sequence", List.of("I am a symbol string sequence a a"));
    assertThat(s.counts()).containsExactly(4L, 2L, 1L, 0L);
    assertThat(s.totals()).containsExactly(6L, 5L, 4L, 3L);
    // test_bleu.py test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397.
    Bleu none = new Bleu(false, Bleu.Tokenize.THIRTEEN_A, Bleu.Smoothing.NONE, null, 4, false);
    assertThat(
            none.fromStatistics(new long[] {9, 7, 5, 3}, new long[] {10, 8, 6, 4}, 11, 11).score())
        .isCloseTo(83.75922397, within(1e-8));
  }

  @Test
  void sacreBleuRawCorpusBleuCases() {
    // test_bleu.py raw_corpus_bleu = floor 0.01, tokenize none, effective order.
    Bleu raw = new Bleu(false, Bleu.Tokenize.NONE, Bleu.Smoothing.FLOOR, 0.01, 4, true);
    assertThat(raw.sentenceScore("this is a test", List.of("this is a test")).score())
        .isCloseTo(100.0, within(1e-6));
    assertThat(raw.sentenceScore("this is a fest", List.of("this is a test")).score() / 100)
        .isCloseTo(0.223606797749979, within(1e-8));
    // test_case_effective_order.
    assertThat(raw.sentenceScore("test", List.of("a test")).score() / 100)
        .isCloseTo(0.3678794411714425, within(1e-8));
    assertThat(raw.sentenceScore("a test", List.of("a test")).score() / 100)
        .isCloseTo(1.0, within(1e-8));
    assertThat(raw.sentenceScore("a little test", List.of("a test")).score() / 100)
        .isCloseTo(0.03218297948685433, within(1e-8));
  }

  @Test
  void sacreBleuDegenerateStatistics() {
    // test_bleu.py test_case_degenerate_stats (floor smoothing): all exactly 0.
    assertThat(
            floor(0.0)
                .fromStatistics(new long[] {0, 0, 0, 0}, new long[] {4, 4, 2, 1}, 0, 1)
                .score())
        .isEqualTo(0.0);
    assertThat(
            floor(0.0)
                .fromStatistics(new long[] {0, 0, 0, 0}, new long[] {10, 11, 12, 0}, 14, 10)
                .score())
        .isEqualTo(0.0);
    assertThat(
            floor(0.0)
                .fromStatistics(new long[] {6, 5, 4, 0}, new long[] {6, 5, 4, 3}, 6, 6)
                .score())
        .isEqualTo(0.0);
    assertThat(floor(0.1).fromStatistics(new long[4], new long[4], 0, 0).score()).isEqualTo(0.0);
    assertThat(floor(0.01).fromStatistics(new long[4], new long[4], 1, 5).score()).isEqualTo(0.0);
  }

  @Test
  void sacreBleuSentenceBleuSmoothingAndTokenizerCases() {
    // test_sentence_bleu.py (effective_order=True, its EPSILON 1e-3).
    assertThat(sentence(Bleu.Smoothing.EXP, null, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(8.493, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.NONE, null, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(0.0, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.FLOOR, null, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(4.51688, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.FLOOR, 0.5, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(10.10, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.ADD_K, null, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(14.882, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.ADD_K, 2.0, Bleu.Tokenize.THIRTEEN_A))
        .isCloseTo(21.389, within(1e-3));
    assertThat(sentence(Bleu.Smoothing.EXP, null, Bleu.Tokenize.NONE))
        .isCloseTo(7.347, within(1e-3));
    // Same file, issue #141: no matching n-gram is 0 under every smoothing.
    for (Bleu.Smoothing m : Bleu.Smoothing.values()) {
      Bleu b = new Bleu(false, Bleu.Tokenize.THIRTEEN_A, m, null, 4, true);
      assertThat(b.sentenceScore("this is a cat", List.of("okay thanks")).score()).isEqualTo(0.0);
    }
  }

  @Test
  void identicalIsHundredAndNoOverlapIsZero() {
    List<String> hyps = List.of("Ein kleiner Test, mit Umlauten: äöü!", "東京 タワー は 高い 。");
    List<List<String>> refs = hyps.stream().map(List::of).toList();
    assertThat(DEFAULT.corpusScore(hyps, refs).score()).isCloseTo(100.0, within(1e-9));
    Bleu.Score none = DEFAULT.corpusScore(List.of("a b c d e"), List.of(List.of("v w x y z")));
    assertThat(none.score()).isEqualTo(0.0);
    assertThat(none.precisions()).containsExactly(0.0, 0.0, 0.0, 0.0);
  }

  @Test
  void hypothesisShorterThanFourTokensScoresZeroWithoutEffectiveOrder() {
    // No 4-gram exists, so sacreBLEU's corpus BLEU (no effective order) is 0 even for a match.
    Bleu.Score s = DEFAULT.sentenceScore("a b c", List.of("a b c"));
    assertThat(s.totals()).containsExactly(3L, 2L, 1L, 0L);
    assertThat(s.score()).isEqualTo(0.0);
    // In a corpus the other segments supply 4-grams and the short one still counts.
    Bleu.Score corpus =
        DEFAULT.corpusScore(
            List.of("a b c", "one two three four five"),
            List.of(List.of("a b c"), List.of("one two three four five")));
    assertThat(corpus.score()).isCloseTo(100.0, within(1e-9));
    Bleu effective = new Bleu(false, Bleu.Tokenize.THIRTEEN_A, Bleu.Smoothing.EXP, null, 4, true);
    assertThat(effective.sentenceScore("a b c", List.of("a b c")).score())
        .isCloseTo(100.0, within(1e-9));
  }

  @Test
  void caseSensitiveByDefaultLowercaseOnRequest() {
    Bleu lc = new Bleu(true, Bleu.Tokenize.THIRTEEN_A, Bleu.Smoothing.EXP, null, 4, false);
    List<String> hyp = List.of("The Quick Brown Fox jumps");
    List<List<String>> ref = List.of(List.of("the quick brown fox jumps"));
    assertThat(DEFAULT.corpusScore(hyp, ref).score()).isLessThan(100.0);
    assertThat(lc.corpusScore(hyp, ref).score()).isCloseTo(100.0, within(1e-9));
  }

  @Test
  void emptyReferencesAreDroppedButOneIsRequired() {
    assertThat(
            DEFAULT.sentenceScore("one two three four", List.of("", "one two three four")).score())
        .isCloseTo(100.0, within(1e-9));
    assertThatThrownBy(() -> DEFAULT.sentenceScore("one two", List.of("")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no non-empty reference");
    assertThatThrownBy(() -> DEFAULT.corpusScore(List.of("a"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static Bleu floor(double value) {
    return new Bleu(false, Bleu.Tokenize.THIRTEEN_A, Bleu.Smoothing.FLOOR, value, 4, false);
  }

  private static double sentence(Bleu.Smoothing m, Double value, Bleu.Tokenize tok) {
    return new Bleu(false, tok, m, value, 4, true).sentenceScore(RO_SYS, List.of(RO_REF)).score();
  }

  private static Long[] boxed(long[] a) {
    Long[] out = new Long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
