package dev.sparkllm.jobs;

import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.jobs.bench.BenchReport;
import dev.sparkllm.jobs.bench.DistributedArgs;
import dev.sparkllm.jobs.bench.DistributedBenchOptions;
import dev.sparkllm.jobs.bench.DistributedBenchmark;
import dev.sparkllm.jobs.bench.NetworkArgs;
import dev.sparkllm.jobs.bench.NetworkArgs.NetworkOptions;
import dev.sparkllm.jobs.bench.PreprocessBenchmark;
import dev.sparkllm.jobs.bench.ServeBenchmark;
import dev.sparkllm.jobs.bench.ShapedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
          + " driver's gradient-averaging service alone (fp32 and bf16 on the wire); with"
          + " --link, the replicas run behind real shaped links (root only)",
      "  serve        the REST server on loopback at concurrency 1, 4, 16, 64 against sequential"
          + " generation (docs/serving.md)"
    })
final class BenchmarkCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", description = "preprocess, distributed or serve")
  String name;

  @Option(names = "--output", defaultValue = "bench-out", paramLabel = "DIR")
  String output;

  @Option(
      names = "--mb",
      defaultValue = "20",
      description = "preprocess: base input size in MB (default 20).")
  double megabytes;

  @Option(
      names = "--serve-preset",
      defaultValue = "mini",
      description = "serve: model preset of the random model served (tiny, mini; default mini).")
  String servePreset;

  @Option(names = "--seed", defaultValue = "42")
  long seed;

  @Mixin DistributedArgs distributed;

  @Mixin NetworkArgs network;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    return switch (name) {
      case "preprocess" -> preprocess();
      case "distributed" -> distributed();
      case "serve" -> serve();
      default ->
          throw new SparkLlmException(
              "unknown benchmark '" + name + "'; available: preprocess, distributed, serve");
    };
  }

  private int preprocess() throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          Path work = Files.createDirectories(Path.of(output, "preprocess-work"));
          Map<String, Object> r =
              PreprocessBenchmark.run(spark, cfg, Home.brownCorpus(), work, megabytes, seed);
          String path = PreprocessBenchmark.write(r, output);
          System.out.print(Json.write(r));
          System.out.printf(
              "throughput 4x/1x = %.2f; results in %s%n",
              r.get("throughput_ratio_4x_over_1x"), path);
          return 0;
        });
  }

  private int serve() throws Exception {
    Path work = Path.of(output, "serve-work").toAbsolutePath();
    Map<String, Object> r = ServeBenchmark.run(work, servePreset, System.out);
    String path = ServeBenchmark.write(r, output);
    System.out.printf("results in %s%n", path);
    return 0;
  }

  private int distributed() throws Exception {
    DistributedBenchOptions o = distributed.toOptions(seed);
    NetworkOptions net = network.toOptions();
    if (!net.shaped()) {
      return distributed(o, net, null);
    }
    if (job.master != null || System.getProperty("spark.master") != null) {
      throw new SparkLlmException(
          "--link starts its own Spark cluster behind shaped links; leave out --master and run"
              + " it through bin/spark-llm, not spark-submit");
    }
    int workers = o.replicas().stream().max(Integer::compare).orElse(1);
    Path logs = Path.of(output, "shaped-cluster").toAbsolutePath();
    try (ShapedCluster cluster = ShapedCluster.start(workers, net.workerMemoryMb(), logs)) {
      job.master = cluster.masterUrl();
      // The command's own --conf entries come after these, so they still win.
      List<String> conf = new ArrayList<>();
      for (Map.Entry<String, String> e : ClusterSetup.childJvmExecutors().entrySet()) {
        conf.add(e.getKey() + "=" + e.getValue());
      }
      for (Map.Entry<String, String> e : cluster.driverSettings().entrySet()) {
        conf.add(e.getKey() + "=" + e.getValue());
      }
      conf.addAll(job.sparkConf);
      job.sparkConf = conf;
      return distributed(o, net, cluster);
    }
  }

  private int distributed(DistributedBenchOptions o, NetworkOptions net, ShapedCluster cluster)
      throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          if (cluster != null) {
            cluster.awaitExecutors(spark);
          }
          Path work = Path.of(output, "distributed-work").toAbsolutePath();
          DistributedBenchmark.Result r =
              DistributedBenchmark.run(
                  spark, job.config, new ArrayList<>(job.overrides), work, o, net, cluster);
          String path = BenchReport.write(r, output);
          BenchReport.print(r, System.out);
          System.out.printf("results in %s%n", path);
          return 0;
        });
  }
}
