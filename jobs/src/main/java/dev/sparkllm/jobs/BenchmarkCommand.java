package dev.sparkllm.jobs;

import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.jobs.bench.DistributedBenchmark;
import dev.sparkllm.jobs.bench.PreprocessBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "benchmark",
    mixinStandardHelpOptions = true,
    description = {
      "Run a benchmark (not a test): prints throughput ratios measured in the same run and writes"
          + " JSON results.",
      "  preprocess   preprocess throughput at 1x and 4x the same generated input",
      "  distributed  data-parallel training at 1..N replicas against one replica, and the"
          + " driver's gradient-averaging service alone (fp32 and bf16 on the wire)"
    })
final class BenchmarkCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", description = "preprocess or distributed")
  String name;

  @Option(names = "--output", defaultValue = "bench-out", paramLabel = "DIR")
  String output;

  @Option(
      names = "--mb",
      defaultValue = "20",
      description = "preprocess: base input size in MB (default 20).")
  double megabytes;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Option(
      names = "--presets",
      defaultValue = "tiny,mini",
      split = ",",
      description = "distributed: model presets to train (default tiny,mini; none: skip training).")
  List<String> presets;

  @Option(
      names = "--replicas",
      defaultValue = "1,2",
      split = ",",
      description = "distributed: replica counts to train with (default 1,2).")
  List<Integer> replicas;

  @Option(
      names = "--wire",
      defaultValue = "fp32,bf16",
      split = ",",
      description = "distributed: gradient types on the wire for the training runs.")
  List<String> wires;

  @Option(
      names = "--steps",
      defaultValue = "tiny=20,mini=5,gpt2=2",
      description =
          "distributed: timed optimizer steps per run, N or preset=N,... (default"
              + " ${DEFAULT-VALUE}).")
  String steps;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = "distributed: untimed first steps per run (default 1).")
  int warmup;

  @Option(
      names = "--batch",
      defaultValue = "tiny=4,mini=1,gpt2=1",
      description =
          "distributed: sequences per replica step, N or preset=N,... (default ${DEFAULT-VALUE}).")
  String batch;

  @Option(
      names = "--seq",
      defaultValue = "tiny=128,mini=128,gpt2=128",
      description = "distributed: tokens per sequence (capped at the context), N or preset=N,...")
  String seq;

  @Option(
      names = "--vocab",
      defaultValue = "8192",
      description = "distributed: vocabulary of the random tokens (default 8192).")
  int vocab;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "distributed: PyTorch threads per replica (default 1).")
  int threads;

  @Option(
      names = "--micro-sizes",
      defaultValue = "tiny,mini,gpt2",
      split = ",",
      description =
          "distributed: buffer sizes for the averaging service alone, preset names or parameter"
              + " counts (default tiny,mini,gpt2; none: skip).")
  List<String> microSizes;

  @Option(
      names = "--micro-replicas",
      defaultValue = "1,2",
      split = ",",
      description = "distributed: client counts for the averaging service alone (default 1,2).")
  List<Integer> microReplicas;

  @Option(
      names = "--micro-rounds",
      defaultValue = "3",
      description = "distributed: least timed exchange rounds per case (default 3).")
  int microRounds;

  @Option(
      names = "--micro-seconds",
      defaultValue = "1",
      description = "distributed: least timed seconds per exchange case (default 1).")
  double microSeconds;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    return switch (name) {
      case "preprocess" -> preprocess();
      case "distributed" -> distributed();
      default ->
          throw new SparkLlmException(
              "unknown benchmark '" + name + "'; available: preprocess, distributed");
    };
  }

  private int preprocess() throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          Path work = Files.createDirectories(Path.of(output, "preprocess-work"));
          Map<String, Object> r =
              PreprocessBenchmark.run(spark, Home.brownCorpus(), work, megabytes, seed);
          String path = PreprocessBenchmark.write(r, output);
          System.out.print(Json.write(r));
          System.out.printf(
              "throughput 4x/1x = %.2f; results in %s%n",
              r.get("throughput_ratio_4x_over_1x"), path);
          return 0;
        });
  }

  private int distributed() throws Exception {
    DistributedBenchmark.Options o =
        new DistributedBenchmark.Options(
            presets,
            replicas,
            wires,
            perPreset("--steps", steps),
            warmup,
            perPreset("--batch", batch),
            perPreset("--seq", seq),
            vocab,
            threads,
            microSizes,
            microReplicas,
            microRounds,
            microSeconds,
            seed);
    if (job.master != null && job.master.startsWith("local-cluster")) {
      // First, so the user's own --conf entries still win.
      job.sparkConf.addAll(0, DistributedBenchmark.localClusterConf());
    }
    return job.withSpark(
        (cfg, spark) -> {
          Path work = Path.of(output, "distributed-work").toAbsolutePath();
          Map<String, Object> r =
              DistributedBenchmark.run(spark, job.config, new ArrayList<>(job.overrides), work, o);
          String path = DistributedBenchmark.write(r, output);
          DistributedBenchmark.print(r, System.out);
          System.out.printf("results in %s%n", path);
          return 0;
        });
  }

  /** "8" (every preset) or "tiny=4,mini=1"; "*" holds the plain number. */
  static Map<String, Integer> perPreset(String option, String spec) {
    Map<String, Integer> m = new LinkedHashMap<>();
    try {
      for (String part : spec.split(",")) {
        int eq = part.indexOf('=');
        if (eq < 0) {
          m.put("*", Integer.parseInt(part.trim()));
        } else {
          m.put(part.substring(0, eq).trim(), Integer.parseInt(part.substring(eq + 1).trim()));
        }
      }
    } catch (NumberFormatException e) {
      throw new SparkLlmException(
          option + " takes N or preset=N,... (e.g. tiny=4,mini=1), got '" + spec + "'");
    }
    return m;
  }
}
