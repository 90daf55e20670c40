package dev.sparkllm.jobs;

import dev.sparkllm.core.Json;
import dev.sparkllm.jobs.bench.PreprocessBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
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
      "  preprocess  preprocess throughput at 1x and 4x the same generated input"
    })
final class BenchmarkCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", description = "preprocess")
  String name;

  @Option(names = "--output", defaultValue = "bench-out", paramLabel = "DIR")
  String output;

  @Option(names = "--mb", defaultValue = "20", description = "Base input size in MB (default 20).")
  double megabytes;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    if (!name.equals("preprocess")) {
      throw new dev.sparkllm.core.SparkLlmException(
          "unknown benchmark '" + name + "'; available: preprocess");
    }
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
}
