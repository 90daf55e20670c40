package dev.sparkllm.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenMetricsTest {
  @Test
  void uniformModelPerplexityIsVocabularySize() {
    // A uniform distribution over V tokens has NLL ln(V) per token.
    assertThat(TokenMetrics.perplexity(Math.log(50257))).isCloseTo(50257.0, within(1e-6));
    assertThat(TokenMetrics.perplexity(3 * Math.log(8), 3)).isCloseTo(8.0, within(1e-12));
    assertThat(TokenMetrics.perplexity(0.0)).isEqualTo(1.0);
    assertThatThrownBy(() -> TokenMetrics.perplexity(1.0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nextTokenAccuracy() {
    assertThat(TokenMetrics.nextTokenAccuracy(new int[] {1, 2, 3, 4}, new int[] {1, 0, 3, 0}))
        .isEqualTo(0.5);
    assertThat(TokenMetrics.nextTokenAccuracy(3, 4)).isEqualTo(0.75);
    assertThatThrownBy(() -> TokenMetrics.nextTokenAccuracy(5, 4))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void accuracyAndMacroF1MatchScikitLearnDefinition() {
    // Hand-worked with scikit-learn's f1_score(average="macro") definition, labels = union:
    // a: tp=2 fp=1 fn=0 -> 4/5; b: tp=1 fp=0 fn=1 -> 2/3; c: tp=0 fp=0 fn=1 -> 0; d (only
    // predicted): tp=0 fp=1 fn=0 -> 0. Macro = (0.8 + 0.6667 + 0 + 0) / 4.
    List<String> gold = List.of("a", "a", "b", "b", "c");
    List<String> pred = List.of("a", "a", "b", "a", "d");
    assertThat(TokenMetrics.accuracy(pred, gold)).isCloseTo(0.6, within(1e-12));
    assertThat(TokenMetrics.macroF1(pred, gold)).isCloseTo((0.8 + 2.0 / 3) / 4, within(1e-12));
    assertThat(TokenMetrics.macroF1(gold, gold)).isEqualTo(1.0);
    assertThatThrownBy(() -> TokenMetrics.accuracy(List.of("a"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
