package dev.sparkllm.jobs;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.TrainResult;
import dev.sparkllm.training.Training;
import dev.sparkllm.training.distributed.DistributedOptions;
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

  @Option(
      names = "--init-from",
      paramLabel = "PATH",
      description =
          "Start from these weights instead of random ones: a model.safetensors in Hugging Face"
              + " GPT-2 layout, or a checkpoint, run or Hugging Face directory holding one (same as"
              + " --set training.init_from=FILE).")
  String initFrom;

  @Option(names = "--resume", description = "Continue from RUN/checkpoints/latest.")
  boolean resume;

  @Option(
      names = "--auto-resume",
      description =
          "Continue from RUN/checkpoints/latest when there is one, else start a new run: for"
              + " schedulers that retry a failed task with the same arguments (Airflow).")
  boolean autoResume;

  @Option(
      names = "--replicas",
      paramLabel = "N|auto",
      arity = "0..1",
      fallbackValue = "auto",
      description =
          "Data-parallel replicas, one Spark task each (same as --set"
              + " training.distributed.replicas=N); auto, or the flag alone = one per task slot"
              + " (GPU); 0 = one replica on the driver.")
  String replicas;

  @Mixin JobOptions job;

  static Integer replicaCount(String value) {
    if (value == null) {
      return null;
    }
    if (value.equals("auto")) {
      return DistributedOptions.AUTO;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // falls through to the error
    }
    throw new SparkLlmException("--replicas must be a count >= 0 or auto, got '" + value + "'");
  }

  /** A directory's model.safetensors (its latest checkpoint's for a run), else the path itself. */
  static String weightsFile(String path) {
    if (path.endsWith(".safetensors")) {
      return path;
    }
    String inDir = Storage.join(path, Checkpoints.MODEL);
    if (Storage.exists(inDir)) {
      return inDir;
    }
    String latest = Checkpoints.latest(path);
    if (latest == null) {
      throw new SparkLlmException(
          "--init-from "
              + path
              + " is neither a .safetensors file nor a directory holding model.safetensors or"
              + " checkpoints/latest");
    }
    return Storage.join(latest, Checkpoints.MODEL);
  }

  @Override
  public Integer call() throws Exception {
    job.prependOverride("model.preset", preset);
    job.prependOverride("training.init_from", initFrom == null ? null : weightsFile(initFrom));
    job.prependOverride("training.distributed.replicas", replicaCount(replicas));
    if (resume && autoResume) {
      throw new SparkLlmException("give --resume or --auto-resume, not both");
    }
    return job.withSpark(
        (cfg, spark) -> {
          boolean fromCheckpoint = resume || (autoResume && Checkpoints.latest(output) != null);
          TrainResult r = Training.run(spark, cfg, data, output, fromCheckpoint);
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
