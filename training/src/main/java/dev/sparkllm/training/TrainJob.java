package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.training.model.LoraConfig;
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
    return run(spark, config, data, output, resume, null);
  }

  /** {@link #run}, training LoRA adapters on a frozen base when {@code lora} is not null. */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      String data,
      String output,
      boolean resume,
      LoraConfig lora) {
    TrainSetup setup = TrainSetup.prepare(config, data, output, resume);
    try (Trainer trainer =
        new Trainer(setup.model(), setup.options(), Devices.forDriver(setup.options()), lora)) {
      return new TrainLoop(trainer, setup, output, config.hash(), GradientExchange.single())
          .run(resume ? Checkpoints.load(setup.latest()) : null);
    }
  }
}
