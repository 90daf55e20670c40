package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.training.distributed.DistributedOptions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** {@code bin/spark-llm train}: one replica on the driver, or N replicas in a barrier stage. */
public final class Training {
  private Training() {}

  /**
   * Trains with {@code training.distributed.replicas} data-parallel replicas when it is not 0
   * ({@link DistributedTrainJob}, -1 = one per task slot), else one replica on the driver ({@link
   * TrainJob}).
   */
  public static TrainResult run(
      SparkSession spark, Config config, String data, String output, boolean resume) {
    return run(spark, config, data, output, resume, FineTuning.NONE, List.of(data));
  }

  /** {@link #run} with {@code tuning}, the output checked for overlap against {@code data}. */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      String data,
      String output,
      boolean resume,
      FineTuning tuning) {
    return run(spark, config, data, output, resume, tuning, List.of(data));
  }

  /**
   * {@link #run} with {@code tuning}: LoRA adapters on the frozen base in {@code
   * training.init_from} (only they are trained, exchanged and checkpointed, see {@link
   * LoraCheckpoint}), and/or DPO on preference shards (see {@link PreferenceShards}); the output is
   * checked for overlap against {@code inputs} (and {@code training.init_from}) instead of {@code
   * data}: for a job that keeps its own token shards inside the run directory (finetune).
   */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      String data,
      String output,
      boolean resume,
      FineTuning tuning,
      List<String> inputs) {
    int replicas = DistributedOptions.fromConfig(config.section("training.distributed")).replicas();
    inputs = new ArrayList<>(inputs);
    String initFrom = config.getString("training.init_from");
    if (initFrom != null) {
      inputs.add(initFrom);
    }
    // The run directory is written in place (checkpoints accumulate), but never inside an input
    // and never by two jobs at once.
    try (OutputDir out = OutputDir.inPlace("train", output, inputs)) {
      return replicas != 0
          ? DistributedTrainJob.run(spark, config, data, output, resume, replicas, tuning)
          : TrainJob.run(spark, config, data, output, resume, tuning);
    }
  }
}
