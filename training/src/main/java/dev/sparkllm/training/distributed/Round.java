package dev.sparkllm.training.distributed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

/** Contributions to one step's average or checksum comparison. */
final class Round {
  final long step;
  final byte dtype;
  final int count;
  final float[][] grads;
  final double[] sums;
  final boolean[] have;
  int received;
  ScheduledFuture<?> timer;

  /** Why the round cannot give an average (mismatched contributions, differing checksums). */
  String error;

  Round(long step, byte dtype, int count, int world, boolean checksum) {
    this.step = step;
    this.dtype = dtype;
    this.count = count;
    this.grads = checksum ? null : new float[world][];
    this.sums = checksum ? new double[world] : null;
    this.have = new boolean[world];
  }

  String missing() {
    List<Integer> m = new ArrayList<>();
    for (int r = 0; r < have.length; r++) {
      if (!have[r]) {
        m.add(r);
      }
    }
    return m.toString();
  }

  /**
   * The mean of the ranks' gradients, accumulated in double in rank order (same bits every run).
   */
  float[] average(float[] reuse) {
    int n = count;
    float[] out = reuse != null && reuse.length == n ? reuse : new float[n];
    double w = grads.length;
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (float[] g : grads) {
        s += g[i];
      }
      out[i] = (float) (s / w);
    }
    return out;
  }

  /** Why the ranks' parameter checksums differ, or null when they agree. */
  String checksumMismatch() {
    int world = sums.length;
    List<Integer> differ = new ArrayList<>();
    StringBuilder values = new StringBuilder();
    for (int r = 0; r < world; r++) {
      if (Double.doubleToLongBits(sums[r]) != Double.doubleToLongBits(sums[0])) {
        differ.add(r);
      }
      values.append(r == 0 ? "" : ", ").append("rank ").append(r).append('=').append(sums[r]);
    }
    if (differ.isEmpty()) {
      return null;
    }
    return "replicas diverged: parameter checksums at step "
        + step
        + " differ ("
        + values
        + "); rank(s) "
        + differ
        + " disagree with rank 0";
  }
}
