package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.sparkllm.jobs.bench.AveragingServiceBench.ExchangeRow;
import dev.sparkllm.jobs.bench.CostModel.Estimate;
import dev.sparkllm.jobs.bench.NetworkArgs.NetworkOptions;
import dev.sparkllm.training.distributed.WireDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * Data-parallel scaling and the cost of the driver's gradient averaging (not a test).
 *
 * <ol>
 *   <li>Training ({@link ScalingRuns}): per preset, the single-replica TrainJob as the baseline,
 *       then DistributedTrainJob at each replica count and wire type; per run tokens/s, speedup and
 *       scaling efficiency against the baseline of the same run, compute and communication ms per
 *       step, bytes per step and achieved MB/s while communicating.
 *   <li>Averaging service ({@link AveragingServiceBench}): the driver's gradient server and N
 *       clients on loopback threads, fp32 and bf16.
 *   <li>The model on paper ({@link CostModel}) with these numbers.
 * </ol>
 *
 * The model on paper these numbers feed is docs/distributed-training.md; {@link BenchReport} prints
 * the tables and writes the JSON.
 */
public final class DistributedBenchmark {
  private DistributedBenchmark() {}

  /** distributed-benchmark.json; field names are its keys. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Result(
      String benchmark,
      String master,
      int taskSlots,
      int cores,
      long maxHeapMb,
      String execution,
      Settings settings,
      List<TrainingRow> training,
      List<ExchangeRow> averagingService,
      List<Estimate> modelEstimates,
      // Empty unless --link: what each shaped link achieved, measured before its runs.
      List<LinkProbe.Result> links,
      List<SchemeModel.Row> modelSyncTransport) {}

  /** The options as run, so a result file says what it measured. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Settings(
      List<String> presets,
      List<Integer> replicas,
      List<String> wires,
      int warmupSteps,
      Map<String, Integer> timedSteps,
      Map<String, Integer> batch,
      Map<String, Integer> seq,
      int vocab,
      int torchThreadsPerReplica,
      int checksumInterval,
      List<String> microSizes,
      List<Integer> microReplicas,
      int microMinRounds,
      double microMinSeconds,
      List<String> overrides) {
    static Settings of(DistributedBenchOptions o, List<String> overrides) {
      return new Settings(
          o.presets(),
          o.replicas(),
          o.wires().stream().map(WireDtype::configName).toList(),
          o.warmup(),
          o.steps(),
          o.batch(),
          o.seq(),
          o.vocab(),
          o.threads(),
          0,
          o.microSizes(),
          o.microReplicas(),
          o.microRounds(),
          o.microSeconds(),
          overrides);
    }
  }

  /**
   * Runs every part. {@code configFile} and {@code overrides} are the command's own (--config,
   * --set); they are applied after the benchmark's settings, so --set model.n_embd=32 shrinks the
   * trained models.
   */
  public static Result run(
      SparkSession spark,
      String configFile,
      List<String> overrides,
      Path work,
      DistributedBenchOptions o)
      throws IOException {
    return run(spark, configFile, overrides, work, o, NetworkOptions.none(), null);
  }

  /**
   * As above, for every scheme of {@code net}; with {@code cluster} (--link), the whole training
   * part once per link rate, each preceded by a measurement of what the link achieves.
   */
  public static Result run(
      SparkSession spark,
      String configFile,
      List<String> overrides,
      Path work,
      DistributedBenchOptions o,
      NetworkOptions net,
      ShapedCluster cluster)
      throws IOException {
    deleteTree(work);
    Files.createDirectories(work);
    String master = spark.sparkContext().master();
    int slots = spark.sparkContext().defaultParallelism();
    List<TrainingRow> training = new ArrayList<>();
    List<LinkProbe.Result> probes = new ArrayList<>();
    if (cluster == null) {
      training.addAll(
          new ScalingRuns(spark, configFile, overrides, work, slots, net.variants(), null, null)
              .run(o));
    } else {
      // Standalone counts executors' cores; a one-core worker per replica.
      slots = cluster.nets().workers();
      boolean warm = true;
      for (Link link : net.links()) {
        cluster.nets().shape(link);
        probes.add(LinkProbe.measure(link, work));
        training.addAll(
            new ScalingRuns(
                    spark,
                    configFile,
                    overrides,
                    work.resolve(link.name()),
                    slots,
                    net.variants(),
                    cluster.nets(),
                    link)
                .run(o, warm));
        warm = false;
      }
    }
    List<ExchangeRow> micro = AveragingServiceBench.run(o);
    return new Result(
        "distributed",
        master,
        slots,
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() / (1 << 20),
        cluster == null ? executionNote(master) : SHAPED_NOTE,
        Settings.of(o, overrides),
        training,
        micro,
        CostModel.estimates(training, micro),
        probes,
        SchemeModel.gpuRows());
  }

  static final String SHAPED_NOTE =
      "shaped links: one Spark standalone worker (one core) per replica in its own network"
          + " namespace; every host's port, the driver's included, limited by tbf to the row's"
          + " link in each direction";

  static String executionNote(String master) {
    if (master.startsWith("local[") || master.equals("local")) {
      return "local mode: replicas are task threads of one JVM sharing its cores and heap, and the"
          + " gradients cross loopback TCP; speedups are bounded by the cores, not the network";
    }
    if (master.startsWith("local-cluster")) {
      return "local-cluster: one executor JVM per replica on this machine; gradients cross"
          + " loopback TCP";
    }
    return "cluster: replicas in executors, gradients over the network to the driver";
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
