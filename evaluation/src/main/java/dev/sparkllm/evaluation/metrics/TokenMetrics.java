package dev.sparkllm.evaluation.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Language-model and classification metrics from counts the evaluation job aggregates. */
public final class TokenMetrics {
  private TokenMetrics() {}

  /** Perplexity from the mean negative log-likelihood per token in nats: {@code exp(meanNll)}. */
  public static double perplexity(double meanNll) {
    if (Double.isNaN(meanNll) || meanNll < 0) {
      throw new IllegalArgumentException("mean NLL must be >= 0, got " + meanNll);
    }
    return Math.exp(meanNll);
  }

  /**
   * Perplexity from a summed NLL over {@code tokens} predicted tokens. Summing first and dividing
   * once is the token-weighted mean, which batches of unequal size need.
   */
  public static double perplexity(double totalNll, long tokens) {
    if (tokens <= 0) {
      throw new IllegalArgumentException("perplexity needs at least one token, got " + tokens);
    }
    return perplexity(totalNll / tokens);
  }

  /** Fraction of positions whose arg-max prediction equals the next token. */
  public static double nextTokenAccuracy(long correct, long total) {
    if (total <= 0 || correct < 0 || correct > total) {
      throw new IllegalArgumentException(
          "next-token accuracy needs 0 <= correct <= total, total > 0; got "
              + correct
              + "/"
              + total);
    }
    return (double) correct / total;
  }

  /** Next-token accuracy of aligned prediction and target ids. */
  public static double nextTokenAccuracy(int[] predicted, int[] targets) {
    if (predicted.length != targets.length) {
      throw new IllegalArgumentException(
          "predictions and targets differ in length: "
              + predicted.length
              + " vs "
              + targets.length);
    }
    long correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      if (predicted[i] == targets[i]) {
        correct++;
      }
    }
    return nextTokenAccuracy(correct, predicted.length);
  }

  /** Exact-match accuracy of predicted labels. */
  public static double accuracy(List<String> predicted, List<String> gold) {
    checkAligned(predicted, gold);
    long correct = 0;
    for (int i = 0; i < gold.size(); i++) {
      if (gold.get(i).equals(predicted.get(i))) {
        correct++;
      }
    }
    return (double) correct / gold.size();
  }

  /**
   * Macro-averaged F1 over every label seen in gold or predictions, as scikit-learn's {@code
   * f1_score(average="macro")} (which HF evaluate's "f1" calls): per label {@code 2tp / (2tp + fp +
   * fn)}, so a label that is only ever predicted, or never predicted, contributes 0.
   */
  public static double macroF1(List<String> predicted, List<String> gold) {
    checkAligned(predicted, gold);
    Map<String, long[]> perLabel = new TreeMap<>(); // tp, fp, fn
    for (int i = 0; i < gold.size(); i++) {
      String g = gold.get(i);
      String p = predicted.get(i);
      if (g.equals(p)) {
        perLabel.computeIfAbsent(g, k -> new long[3])[0]++;
      } else {
        perLabel.computeIfAbsent(p, k -> new long[3])[1]++;
        perLabel.computeIfAbsent(g, k -> new long[3])[2]++;
      }
    }
    double sum = 0;
    for (long[] c : perLabel.values()) {
      sum += 2.0 * c[0] / (2.0 * c[0] + c[1] + c[2]);
    }
    return sum / perLabel.size();
  }

  private static void checkAligned(List<String> predicted, List<String> gold) {
    if (predicted.size() != gold.size()) {
      throw new IllegalArgumentException(
          "predicted and gold labels differ in length: " + predicted.size() + " vs " + gold.size());
    }
    if (gold.isEmpty()) {
      throw new IllegalArgumentException("no labels to score");
    }
    for (int i = 0; i < gold.size(); i++) {
      if (gold.get(i) == null || predicted.get(i) == null) {
        throw new IllegalArgumentException("label " + i + " is null");
      }
    }
  }
}
