package dev.sparkllm.training;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * How one replica takes part in each optimizer step of a data-parallel run. All replicas call every
 * method at the same steps. {@link #single()} is the one-replica case; the driver-service
 * implementation is {@link dev.sparkllm.training.distributed.DriverExchange}.
 */
public interface GradientExchange {
  int rank();

  int world();

  /**
   * Replaces each gradient by its average over the replicas (in place in the map); returns the mean
   * loss.
   */
  double reduce(long step, double loss, Map<String, NDArray> grads);

  /** Compares parameters across replicas when due ({@code step} = steps done so far). */
  void check(long step, Trainer trainer);

  /**
   * Per-step means since the last call (communication ms, bytes), merged into the metrics line;
   * empty for a single replica.
   */
  Map<String, Object> windowMetrics(long computeNanos, int steps);

  /** Hands the writer's metrics line of {@code step} to the driver (for its log). */
  void publish(long step, String metricsLine);

  /** One replica: nothing to average, compare or hand on. */
  static GradientExchange single() {
    return Single.INSTANCE;
  }

  /** The one-replica exchange. */
  enum Single implements GradientExchange {
    INSTANCE;

    @Override
    public int rank() {
      return 0;
    }

    @Override
    public int world() {
      return 1;
    }

    @Override
    public double reduce(long step, double loss, Map<String, NDArray> grads) {
      return loss;
    }

    @Override
    public void check(long step, Trainer trainer) {}

    @Override
    public Map<String, Object> windowMetrics(long computeNanos, int steps) {
      return Map.of();
    }

    @Override
    public void publish(long step, String metricsLine) {}
  }
}
