package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;

/**
 * One micro-batch of preference pairs for DPO: row i of {@code chosen} and of {@code rejected}
 * share a prompt and differ in the response. Rows hold seq_len+1 ids, padded; each mask marks the
 * response tokens (and the closing end-of-text) as {@link Batch}'s does, so a response's
 * log-probability is the sum over targets j with {@code mask[j] = 1} of log p(ids[j] | ids[..j)).
 */
public record PreferenceBatch(
    int[][] chosen, int[][] chosenMask, int[][] rejected, int[][] rejectedMask) {

  public PreferenceBatch {
    int n = chosen.length;
    if (n == 0 || chosenMask.length != n || rejected.length != n || rejectedMask.length != n) {
      throw new SparkLlmException(
          "a preference batch needs as many chosen rows, rejected rows and masks (got "
              + n
              + ", "
              + rejected.length
              + ", "
              + chosenMask.length
              + ", "
              + rejectedMask.length
              + ")");
    }
  }

  /**
   * Pairs as {@link TokenData} yields them from preference shards: each row is the chosen ids
   * followed by the rejected ids (two rows of equal length), the mask likewise.
   */
  static PreferenceBatch fromPair(Batch b) {
    int n = b.ids().length;
    int[][] c = new int[n][];
    int[][] cm = new int[n][];
    int[][] r = new int[n][];
    int[][] rm = new int[n][];
    for (int i = 0; i < n; i++) {
      int half = b.ids()[i].length / 2;
      c[i] = java.util.Arrays.copyOfRange(b.ids()[i], 0, half);
      r[i] = java.util.Arrays.copyOfRange(b.ids()[i], half, 2 * half);
      cm[i] = java.util.Arrays.copyOfRange(b.mask()[i], 0, half);
      rm[i] = java.util.Arrays.copyOfRange(b.mask()[i], half, 2 * half);
    }
    return new PreferenceBatch(c, cm, r, rm);
  }

  static java.util.List<PreferenceBatch> fromPairs(java.util.List<Batch> batches) {
    return batches.stream().map(PreferenceBatch::fromPair).toList();
  }

  public int pairs() {
    return chosen.length;
  }

  /** The 2n rows of one forward pass: the chosen rows, then the rejected ones. */
  int[][] ids() {
    return concat(chosen, rejected);
  }

  int[][] masks() {
    return concat(chosenMask, rejectedMask);
  }

  private static int[][] concat(int[][] a, int[][] b) {
    int[][] out = new int[a.length + b.length][];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
