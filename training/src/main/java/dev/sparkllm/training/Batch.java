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
}
