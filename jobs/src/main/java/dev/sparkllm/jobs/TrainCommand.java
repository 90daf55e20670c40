package dev.sparkllm.jobs;

import dev.sparkllm.training.TrainJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a GPT model on token shards from `tokenize`: one replica on the driver, or"
          + " --replicas N data-parallel replicas in a Spark barrier stage.",
      "Writes RUN/checkpoints/step-N (safetensors + optimizer state + state.json + SHA256SUMS),"
          + " RUN/checkpoints/latest, RUN/metrics.jsonl, RUN/config.yaml."
    })
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--data", required = true, paramLabel = "DIR", description = "tokenize output.")
  String data;

  @Option(names = "--output", required = true, paramLabel = "RUN", description = "Run directory.")
  String output;

  @Option(
      names = "--preset",
      paramLabel = "NAME",
      description = "Model preset: tiny, mini or gpt2 (same as --set model.preset=NAME).")
  String preset;

  @Option(names = "--resume", description = "Continue from RUN/checkpoints/latest.")
  boolean resume;

  @Option(
      names = "--replicas",
      paramLabel = "N",
      description =
          "Data-parallel replicas, one Spark task each (same as --set"
              + " training.distributed.replicas=N); 0 = one replica on the driver.")
  Integer replicas;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    job.prependOverride("model.preset", preset);
    job.prependOverride("training.distributed.replicas", replicas);
    return job.withSpark(
        (cfg, spark) -> {
          TrainJob.TrainResult r = TrainJob.runConfigured(spark, cfg, data, output, resume);
          System.out.printf(
              "train: step %d, last train loss %.4f, best val loss %.4f%s; checkpoint %s%n",
              r.finalStep(),
              r.lastTrainLoss(),
              r.bestValLoss(),
              r.stoppedEarly() ? " (stopped early)" : "",
              r.checkpoint());
          return 0;
        });
  }
}
