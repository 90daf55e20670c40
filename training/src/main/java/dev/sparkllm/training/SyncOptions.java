package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How often data-parallel replicas synchronize ({@code training.distributed.sync}, {@code
 * sync_every}, {@code outer_lr}, {@code outer_momentum}); see docs/distributed-training.md.
 *
 * @param every H: inner optimizer steps between synchronizations ({@code local_sgd}, {@code
 *     diloco}); ignored by {@code step}
 */
public record SyncOptions(Mode mode, int every, double outerLr, double outerMomentum)
    implements Serializable {

  /** {@code training.distributed.sync}. */
  public enum Mode {
    /** Gradients averaged every optimizer step (replicas always hold the same weights). */
    STEP,
    /** H local AdamW steps per replica, then the replicas' parameters are averaged. */
    LOCAL_SGD,
    /** DiLoCo: H inner AdamW steps, then an outer Nesterov step on the averaged pseudo-gradient. */
    DILOCO;

    static Mode parse(String value) {
      return switch (value) {
        case "step" -> STEP;
        case "local_sgd" -> LOCAL_SGD;
        case "diloco" -> DILOCO;
        default ->
            throw new SparkLlmException(
                "training.distributed.sync must be step, local_sgd or diloco, got '" + value + "'");
      };
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return configName();
    }
  }

  /** Today's behaviour: gradients averaged every step. */
  public static final SyncOptions STEP = new SyncOptions(Mode.STEP, 1, 0.7, 0.9);

  public SyncOptions {
    Objects.requireNonNull(mode, "You must specify training.distributed.sync");
    if (every < 1) {
      throw new SparkLlmException(
          "training.distributed.sync_every must be >= 1 (optimizer steps between syncs), got "
              + every);
    }
    if (!(outerLr > 0) || !Double.isFinite(outerLr)) {
      throw new SparkLlmException(
          "training.distributed.outer_lr must be > 0 (DiLoCo's default is 0.7), got " + outerLr);
    }
    if (!(outerMomentum >= 0 && outerMomentum < 1)) {
      throw new SparkLlmException(
          "training.distributed.outer_momentum must be in [0, 1) (DiLoCo's default is 0.9), got "
              + outerMomentum);
    }
  }

  /** Reads the {@code training.distributed} section. */
  public static SyncOptions fromConfig(Config d) {
    return new SyncOptions(
        Mode.parse(d.getString("sync")),
        d.getInt("sync_every"),
        d.getDouble("outer_lr"),
        d.getDouble("outer_momentum"));
  }

  /** True when replicas take local steps between synchronizations. */
  public boolean local() {
    return mode != Mode.STEP;
  }
}
