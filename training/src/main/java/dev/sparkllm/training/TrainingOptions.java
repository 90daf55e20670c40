package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.Objects;

/** The {@code training} config section, typed and checked. See conf/defaults.yaml for each key. */
public record TrainingOptions(
    long seed,
    DeviceKind device,
    Precision precision,
    int batchSize,
    int gradAccumSteps,
    int maxSteps,
    double learningRate,
    double minLr,
    int warmupSteps,
    int lrDecaySteps,
    double weightDecay,
    double beta1,
    double beta2,
    double eps,
    double gradClip,
    double lossScale,
    int evalInterval,
    int evalBatches,
    int earlyStoppingPatience,
    double earlyStoppingMinDelta,
    int checkpointInterval,
    int keepCheckpoints,
    int logInterval,
    int threads,
    String initFrom,
    SyncOptions sync)
    implements Serializable {

  public TrainingOptions {
    positive(batchSize, "batch_size");
    positive(gradAccumSteps, "grad_accum_steps");
    positive(maxSteps, "max_steps");
    Objects.requireNonNull(device, "You must specify training.device");
    Objects.requireNonNull(precision, "You must specify training.precision");
    Objects.requireNonNull(sync, "You must specify training.distributed.sync");
    if (learningRate <= 0 || minLr < 0 || minLr > learningRate) {
      throw new SparkLlmException(
          "training.learning_rate must be > 0 and training.min_lr in [0, learning_rate]");
    }
    if (warmupSteps < 0 || lrDecaySteps < 0 || evalInterval < 0 || checkpointInterval < 0) {
      throw new SparkLlmException(
          "training.warmup_steps, lr_decay_steps, eval_interval, checkpoint_interval must be >= 0");
    }
  }

  private static void positive(int v, String key) {
    if (v <= 0) {
      throw new SparkLlmException("training." + key + " must be > 0, got " + v);
    }
  }

  public static TrainingOptions fromConfig(Config t) {
    return new TrainingOptions(
        t.getLong("seed"),
        DeviceKind.parse(t.getString("device")),
        Precision.parse(t.getString("precision")),
        t.getInt("batch_size"),
        t.getInt("grad_accum_steps"),
        t.getInt("max_steps"),
        t.getDouble("learning_rate"),
        t.getDouble("min_lr"),
        t.getInt("warmup_steps"),
        t.getInt("lr_decay_steps"),
        t.getDouble("weight_decay"),
        t.getDouble("beta1"),
        t.getDouble("beta2"),
        t.getDouble("eps"),
        t.getDouble("grad_clip"),
        t.getDouble("loss_scale"),
        t.getInt("eval_interval"),
        t.getInt("eval_batches"),
        t.getInt("early_stopping_patience"),
        t.getDouble("early_stopping_min_delta"),
        t.getInt("checkpoint_interval"),
        t.getInt("keep_checkpoints"),
        t.getInt("log_interval"),
        t.getInt("threads"),
        t.getString("init_from"),
        SyncOptions.fromConfig(t.section("distributed")));
  }

  public int decaySteps() {
    return lrDecaySteps > 0 ? lrDecaySteps : maxSteps;
  }
}
