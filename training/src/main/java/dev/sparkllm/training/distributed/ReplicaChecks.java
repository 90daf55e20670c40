package dev.sparkllm.training.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.Trainer;
import java.nio.FloatBuffer;
import java.util.Map;

/** What every transport checks on a replica, whichever wire carries the average. */
final class ReplicaChecks {
  private ReplicaChecks() {}

  /**
   * A non-finite gradient from this rank's backward names its parameter and rank, instead of
   * surfacing later as a NaN gradient norm on every rank.
   */
  static void requireFinite(int rank, long step, FloatBuffer flat, Map<String, NDArray> grads) {
    int off = 0;
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      int len = Math.toIntExact(e.getValue().size());
      for (int i = off; i < off + len; i++) {
        float v = flat.get(i);
        if (!Float.isFinite(v)) {
          throw new SparkLlmException(
              String.format(
                  "rank %d: gradient of %s[%d] is %s at step %d, from its own"
                      + " forward/backward (before averaging); training diverged (lower"
                      + " training.learning_rate or set training.grad_clip)",
                  rank, e.getKey(), i - off, v, step));
        }
      }
      off += len;
    }
  }

  /**
   * The sum of the trained parameters, compared across replicas; frozen ones (a LoRA base) cannot
   * drift apart.
   */
  private static double parameterSum(Trainer trainer) {
    double sum = 0;
    for (Parameter p : trainer.trainable().values()) {
      for (float v : p.getArray().toFloatArray()) {
        sum += v;
      }
    }
    return sum;
  }

  /**
   * When {@code step} is a multiple of {@code interval}, sends this replica's parameter sum to the
   * driver to compare across replicas; returns the nanoseconds spent waiting on it (communication).
   */
  static long checksumRound(GradientClient client, int interval, long step, Trainer trainer) {
    if (interval <= 0 || step % interval != 0) {
      return 0;
    }
    double sum = parameterSum(trainer);
    long t0 = System.nanoTime();
    client.checksum(step, sum);
    return System.nanoTime() - t0;
  }
}
