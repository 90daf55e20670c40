package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.distributed.WireDtype;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code training.distributed.transport=ring} with replicas in two executor JVMs
 * (local-cluster[2,1,...]): the same training as through the driver, no gradient byte through the
 * driver, and recovery from an executor killed mid-training.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RingTrainClusterTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static String data;

  @BeforeAll
  static void start() throws Exception {
    Path jar = tmp.resolve("app.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      addTree(out, Path.of("target/classes"));
      addTree(out, Path.of("target/test-classes"));
    }
    String opens =
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
            .collect(Collectors.joining(" "));
    spark =
        SparkSession.builder()
            .master("local-cluster[2,1,1024]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
            .config("spark.jars", jar.toUri().toString())
            .config("spark.executor.extraJavaOptions", opens + " -Dai.djl.offline=true")
            .getOrCreate();
    assertThat(spark.sparkContext().master()).startsWith("local-cluster");
    data = tmp.resolve("data").toString();
    DistributedTrainJobTest.writeData(spark, data);
    DistributedTrainJobTest.data = data;
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @BeforeEach
  void bothExecutorsUp() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(spark.sparkContext().statusTracker().getExecutorInfos()).hasSize(3);
  }

  @Test
  void ringTrainsAsTheDriverDoesAndMovesNoGradientThroughIt() throws Exception {
    String viaDriver = tmp.resolve("driver").toString();
    String viaRing = tmp.resolve("ring").toString();
    Config driver = DistributedTrainJobTest.config("training.distributed.transport=driver");
    Config ring = DistributedTrainJobTest.config("training.distributed.transport=ring");
    TrainResult a = DistributedTrainJob.run(spark, driver, data, viaDriver, false, 2);
    List<String> log = new CopyOnWriteArrayList<>();
    TrainResult b;
    try (DistributedTrainJobTest.LogCapture c =
        new DistributedTrainJobTest.LogCapture(DistributedTrainJob.class, log)) {
      b = DistributedTrainJob.run(spark, ring, data, viaRing, false, 2);
    }
    assertThat(b.finalStep()).isEqualTo(4);
    // Same data, same steps; only the order of the fp32 additions differs.
    for (int i = 0; i < 4; i++) {
      assertThat(b.trainLosses().get(i)).isCloseTo(a.trainLosses().get(i), within(1e-5));
    }
    assertThat(DistributedTrainJobTest.maxWeightDiff(viaDriver, viaRing, driver)).isLessThan(1e-5);

    long params =
        TrainSetup.prepare(ring, data, tmp.resolve("p").toString(), false).model().parameterCount();
    long values = params + 1; // + the loss
    long header = WireDtype.FP32.frameBytes(0);
    List<String> metrics = Files.readAllLines(Path.of(viaRing, "metrics.jsonl"));
    // Step 3 has no checksum round: nothing to or from the driver; on the ring, each replica sends
    // its half of the values once in the reduce-scatter and once in the all-gather, one sub-chunk
    // header (21 bytes) each.
    JsonNode m3 = Json.MAPPER.readTree(metrics.get(2));
    assertThat(m3.get("transport").asText()).isEqualTo("ring");
    assertThat(m3.get("driver_bytes_sent").asLong()).isZero();
    assertThat(m3.get("driver_bytes_received").asLong()).isZero();
    long ringBytes = (values - values / 2) * 4 + (values / 2) * 4 + 2 * 21;
    assertThat(m3.get("bytes_sent").asLong()).isEqualTo(ringBytes);
    assertThat(m3.get("bytes_received").asLong()).isEqualTo(ringBytes);
    // Step 2 compares the parameters: one checksum frame each way, still no gradient.
    JsonNode m2 = Json.MAPPER.readTree(metrics.get(1));
    assertThat(m2.get("driver_bytes_sent").asLong()).isEqualTo(header + 8);
    assertThat(m2.get("driver_bytes_received").asLong()).isEqualTo(header);

    // The whole run through the driver: per replica a hello, checksums at steps 0, 2 and 4, and
    // a goodbye in; an OK for each of the first four out.
    Matcher moved =
        Pattern.compile("gradient service moved (\\d+) bytes in, (\\d+) bytes out")
            .matcher(String.join("\n", log));
    assertThat(moved.find()).as("driver's byte count in %s", log).isTrue();
    assertThat(Long.parseLong(moved.group(1))).isEqualTo(2 * (header + 3 * (header + 8) + header));
    assertThat(Long.parseLong(moved.group(2))).isEqualTo(2 * (header + 3 * header));
  }

  @Test
  void executorKilledMidTrainingOnTheRingResumesAndEndsAsAnUninterruptedRun() throws Exception {
    Config config =
        DistributedTrainJobTest.config(
            "training.distributed.transport=ring",
            "training.max_steps=120",
            "training.checkpoint_interval=10",
            "training.log_interval=10",
            "training.distributed.checksum_interval=10",
            "training.distributed.timeout_s=120");
    String reference = tmp.resolve("uninterrupted").toString();
    DistributedTrainJob.run(spark, config, data, reference, false, 2);

    String run = tmp.resolve("killed").toString();
    CompletableFuture<TrainResult> job =
        CompletableFuture.supplyAsync(
            () -> DistributedTrainJob.run(spark, config, data, run, false, 2));
    Path latest = Path.of(run, "checkpoints", "latest");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.exists(latest) && !job.isDone() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(job).as("training must still be running when its executor is killed").isNotDone();
    ProcessHandle executor = executorProcesses().get(0);
    executor.destroyForcibly(); // its ring sockets and driver connection die with it
    assertThat(executor.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();

    TrainResult r = job.get(5, TimeUnit.MINUTES);
    assertThat(r.finalStep()).isEqualTo(120);
    assertThat(DistributedTrainJobTest.maxWeightDiff(reference, run, config)).isLessThan(1e-6);
    List<Long> steps = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(run, "metrics.jsonl"))) {
      steps.add(Json.MAPPER.readTree(line).get("step").asLong());
    }
    assertThat(steps).hasSize(12).doesNotHaveDuplicates().isSorted();
  }

  private static List<ProcessHandle> executorProcesses() {
    List<ProcessHandle> out =
        ProcessHandle.current()
            .descendants()
            .filter(RingTrainClusterTest::isExecutor)
            .collect(Collectors.toList());
    assertThat(out).as("executor JVMs").hasSize(2);
    return out;
  }

  private static boolean isExecutor(ProcessHandle p) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
          .contains("CoarseGrainedExecutorBackend");
    } catch (IOException e) {
      return p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend");
    }
  }

  private static void addTree(JarOutputStream out, Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        out.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
    }
  }
}
