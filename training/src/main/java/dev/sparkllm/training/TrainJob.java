package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import org.apache.spark.sql.SparkSession;

/**
 * {@code bin/spark-llm train} with one replica on the driver, reading the tokenize job's shards.
 * Writes {@code RUN/metrics.jsonl}, {@code RUN/config.yaml} and checkpoints (see {@link
 * Checkpoints}); {@code resume} continues from {@code RUN/checkpoints/latest} with the same
 * weights, optimizer state, data position and per-step seeds, so the result equals an uninterrupted
 * run. {@link Training#run} chooses between this and {@link DistributedTrainJob}.
 */
public final class TrainJob {
  private TrainJob() {}

  public static TrainResult run(
      SparkSession spark, Config config, String data, String output, boolean resume) {
    return run(spark, config, data, output, resume, FineTuning.NONE);
  }

  /** {@link #run} with LoRA and/or DPO as {@code tuning} says. */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      String data,
      String output,
      boolean resume,
      FineTuning tuning) {
    TrainSetup setup = TrainSetup.prepare(config, data, output, resume);
    try (Trainer trainer =
        new Trainer(
            setup.model(), setup.options(), Devices.forDriver(setup.options()), tuning.lora())) {
      return new TrainLoop(trainer, setup, output, config.hash(), GradientExchange.single(), tuning)
          .run(resume ? Checkpoints.load(setup.latest()) : null);
    }
  }
}
