package dev.sparkllm.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RougeTest {
  private static final Rouge PLAIN = new Rouge(false);
  private static final Rouge STEMMED = new Rouge(true);

  // rouge-score rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (random strings).
  private static final String TARGET_0 =
      "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM"
          + " EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
  private static final String TARGET_1 =
      "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q"
          + " m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing"
          + " tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu"
          + " pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
  private static final String PREDICTION_0 =
      "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi";
  private static final String PREDICTION_1 =
      "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed"
          + " HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";

  @Test
  void rougeScorerTestSmallStrings() {
    // rouge-score rouge_scorer_test.py testRouge1 / testRouge2 / testRougeLConsecutive /
    // testRougeLNonConsecutive / testRougeEmpty.
    expect(PLAIN.score("testing one two", "testing").rouge1(), 1, 1.0 / 3, 0.5, 1e-12);
    expect(PLAIN.score("testing one two", "testing one").rouge2(), 1, 0.5, 2.0 / 3, 1e-12);
    expect(PLAIN.score("testing one two", "testing one").rougeL(), 1, 2.0 / 3, 0.8, 1e-12);
    expect(PLAIN.score("testing one two", "testing two").rougeL(), 1, 2.0 / 3, 0.8, 1e-12);
    Rouge.Result empty = PLAIN.score("testing one two", "");
    for (Rouge.Score s : List.of(empty.rouge1(), empty.rouge2(), empty.rougeL())) {
      expect(s, 0, 0, 0, 0);
    }
  }

  @Test
  void rougeScorerTestAgainstRouge155() {
    // rouge_scorer_test.py testRouge{1,2,L}AgainstRouge155 (values from ROUGE-1.5.5, 5 places).
    Rouge.Result r0 = PLAIN.score(TARGET_0, PREDICTION_0);
    expect(r0.rouge1(), 0.68750, 0.40741, 0.51163, 5e-6);
    expect(r0.rouge2(), 0.53333, 0.30769, 0.39024, 5e-6);
    expect(r0.rougeL(), 0.68750, 0.40741, 0.51163, 5e-6);
    Rouge.Result r1 = PLAIN.score(TARGET_1, PREDICTION_1);
    expect(r1.rouge1(), 0.65385, 0.40476, 0.50000, 5e-6);
    expect(r1.rouge2(), 0.48000, 0.29268, 0.36364, 5e-6);
    expect(r1.rougeL(), 0.65385, 0.40476, 0.50000, 5e-6);
  }

  @Test
  void rougeScorerTestAgainstRouge155WithStemming() {
    // rouge_scorer_test.py testRouge{1,2}AgainstRouge155WithStemming.
    Rouge.Result r0 = STEMMED.score(TARGET_0, PREDICTION_0);
    expect(r0.rouge1(), 0.68750, 0.40741, 0.51163, 5e-6);
    expect(r0.rouge2(), 0.53333, 0.30769, 0.39024, 5e-6);
    Rouge.Result r1 = STEMMED.score(TARGET_1, PREDICTION_1);
    expect(r1.rouge1(), 0.69231, 0.42857, 0.52941, 5e-6);
    expect(r1.rouge2(), 0.48000, 0.29268, 0.36364, 5e-6);
  }

  @Test
  void scoreMultiTakesBestTargetPerType() {
    // TensorFlow Model Analysis rouge_test.py (wraps rouge-score's score_multi): rouge1 = 4/5, 1,
    // 8/9. rouge2 and rougeL worked by hand on the same target ("this is a test").
    Rouge.Result r =
        PLAIN.scoreMulti(List.of("testing one two", "This is a test"), "This is not a test");
    expect(r.rouge1(), 0.8, 1.0, 8.0 / 9, 1e-12);
    expect(r.rouge2(), 0.5, 2.0 / 3, 4.0 / 7, 1e-12);
    expect(r.rougeL(), 0.8, 1.0, 8.0 / 9, 1e-12);
  }

  @Test
  void fixturesFromTranscribedRougeScoreWithNltkStemmer() {
    int n = 0;
    for (JsonNode c : Fixtures.ROOT.get("rouge")) {
      Rouge rouge = c.get("stemmed").asBoolean() ? STEMMED : PLAIN;
      Rouge.Result r =
          rouge.scoreMulti(Fixtures.strings(c.get("targets")), c.get("prediction").asText());
      JsonNode e = c.get("expected");
      expect(r.rouge1(), e.get("rouge1"));
      expect(r.rouge2(), e.get("rouge2"));
      expect(r.rougeL(), e.get("rougeL"));
      n++;
    }
    assertThat(n).isEqualTo(16);
  }

  @Test
  void porterStemmerMatchesNltkDefaultMode() {
    int n = 0;
    for (Map.Entry<String, JsonNode> e :
        (Iterable<Map.Entry<String, JsonNode>>) () -> Fixtures.ROOT.get("porter").fields()) {
      assertThat(NltkPorterStemmer.stem(e.getKey()))
          .as(e.getKey())
          .isEqualTo(e.getValue().asText());
      n++;
    }
    assertThat(n).isGreaterThan(150);
  }

  @Test
  void tokenizerDropsNonAsciiAndStemsOnlyLongTokens() {
    assertThat(PLAIN.tokenize("Hello, World! Café 東京 x2"))
        .containsExactly("hello", "world", "caf", "x2");
    assertThat(STEMMED.tokenize("cats running was dying"))
        .containsExactly("cat", "run", "was", "die");
    assertThat(PLAIN.score("東京 は 大きい", "東京 は 大きい").rougeL().fmeasure()).isEqualTo(0.0);
  }

  @Test
  void identicalIsOne() {
    Rouge.Result r = STEMMED.score("The quick brown fox.", "the QUICK brown fox");
    expect(r.rouge1(), 1, 1, 1, 1e-12);
    expect(r.rouge2(), 1, 1, 1, 1e-12);
    expect(r.rougeL(), 1, 1, 1, 1e-12);
  }

  @Test
  void meanAveragesEachField() {
    Rouge.Result a = PLAIN.score("a b", "a b");
    Rouge.Result b = PLAIN.score("a b", "c d");
    assertThat(Rouge.mean(List.of(a, b)).rougeL().fmeasure()).isCloseTo(0.5, within(1e-12));
  }

  private static void expect(Rouge.Score s, JsonNode prf) {
    expect(s, prf.get(0).asDouble(), prf.get(1).asDouble(), prf.get(2).asDouble(), 1e-12);
  }

  private static void expect(Rouge.Score s, double p, double r, double f, double tol) {
    assertThat(s.precision()).as("precision").isCloseTo(p, within(tol));
    assertThat(s.recall()).as("recall").isCloseTo(r, within(tol));
    assertThat(s.fmeasure()).as("fmeasure").isCloseTo(f, within(tol));
  }
}
