package dev.sparkllm.training;

/**
 * One micro-batch: rows of seq_len+1 token ids and, for padded (instruction) data, the tokenize
 * job's {@code loss_mask} rows aligned with the ids. Inputs are {@code ids[0..T)}, targets {@code
 * ids[1..T]} with mask {@code mask[1..T]}: the loss counts target j only where the id it predicts
 * is a response token (or the closing end-of-text).
 *
 * @param mask null for packed data: every target counts
 */
public record Batch(int[][] ids, int[][] mask) {

  /** Packed rows: no mask, every target position counts. */
  public static Batch packed(int[][] ids) {
    return new Batch(ids, null);
  }

  /** Targets the loss counts: all of them when packed, else the ones of {@code mask[:, 1:]}. */
  public long lossTargets() {
    if (mask == null) {
      return (long) ids.length * (ids[0].length - 1);
    }
    long n = 0;
    for (int[] m : mask) {
      for (int i = 1; i < m.length; i++) {
        n += m[i];
      }
    }
    return n;
  }

  /**
   * Input positions holding real tokens: all of them when packed; for padded rows those up to the
   * last id the mask counts (prompt, response and end-of-text come first, padding only after), so
   * padding is not counted as throughput whatever id the pad token has.
   */
  public long realInputTokens() {
    int inputs = ids[0].length - 1;
    if (mask == null) {
      return (long) ids.length * inputs;
    }
    long n = 0;
    for (int[] m : mask) {
      int last = m.length - 1;
      while (last >= 0 && m[last] == 0) {
        last--;
      }
      n += Math.min(last + 1, inputs);
    }
    return n;
  }
}
