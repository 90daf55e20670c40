package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.testing.S3ProxyServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas in two executor JVMs (local-cluster[2,1,...]), as on a real cluster: equivalence with
 * one replica accumulating, recovery from an executor killed mid-training, and checkpoints on
 * s3a:// that a second job resumes.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DistributedTrainClusterTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static String data;
  static final AtomicInteger failedStageAttempts = new AtomicInteger();

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
    // A leftover local session would be reused by getOrCreate and prove nothing.
    assertThat(spark.sparkContext().master()).startsWith("local-cluster");
    spark
        .sparkContext()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onStageCompleted(SparkListenerStageCompleted e) {
                if (e.stageInfo().failureReason().isDefined()) {
                  failedStageAttempts.incrementAndGet();
                }
              }
            });
    data = tmp.resolve("data").toString();
    DistributedTrainJobTest.writeData(spark, data);
    DistributedTrainJobTest.data = data;
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /**
   * Every test starts with both executors up (the fault test kills one; the master restarts it).
   */
  @BeforeEach
  void bothExecutorsUp() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < 3
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    // driver + 2 executors
    assertThat(spark.sparkContext().statusTracker().getExecutorInfos()).hasSize(3);
  }

  @Test
  void replicasInSeparateExecutorJvmsEqualOneReplica() throws Exception {
    String single = tmp.resolve("single").toString();
    String dist = tmp.resolve("dist").toString();
    TrainResult one =
        TrainJob.run(
            spark,
            DistributedTrainJobTest.config("training.grad_accum_steps=2"),
            data,
            single,
            false);
    TrainResult two =
        DistributedTrainJob.run(spark, DistributedTrainJobTest.config(), data, dist, false, 2);
    assertThat(two.finalStep()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      assertThat(two.trainLosses().get(i)).isCloseTo(one.trainLosses().get(i), within(1e-5));
    }
    assertThat(
            DistributedTrainJobTest.maxWeightDiff(single, dist, DistributedTrainJobTest.config()))
        .isLessThan(1e-5);
    List<String> metrics = Files.readAllLines(Path.of(dist, "metrics.jsonl"));
    assertThat(metrics).hasSize(4);
    System.out.println("local-cluster metrics: " + metrics.get(2));
  }

  @Test
  void executorKilledMidTrainingResumesFromCheckpointAndEndsAsAnUninterruptedRun()
      throws Exception {
    killOneExecutorAndCompare("step");
  }

  /**
   * The same with DiLoCo (H=5): the retried replicas get back their own AdamW moments and the outer
   * momentum from the checkpoint of the last sync, and end where the uninterrupted run did.
   */
  @Test
  void executorKilledDuringDilocoTrainingEndsAsAnUninterruptedRun() throws Exception {
    killOneExecutorAndCompare("diloco");
  }

  private void killOneExecutorAndCompare(String sync) throws Exception {
    Config config =
        DistributedTrainJobTest.config(
            "training.max_steps=200",
            "training.checkpoint_interval=10",
            "training.log_interval=10",
            "training.distributed.checksum_interval=10",
            "training.distributed.timeout_s=120",
            "training.distributed.sync=" + sync,
            "training.distributed.sync_every=5");
    String reference = tmp.resolve("uninterrupted-" + sync).toString();
    DistributedTrainJob.run(spark, config, data, reference, false, 2);

    String run = tmp.resolve("killed-" + sync).toString();
    int failedBefore = failedStageAttempts.get();
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
    String killedAt = Files.readString(latest).trim();
    executor.destroyForcibly(); // SIGKILL: no shutdown hook, no goodbye to the gradient service
    assertThat(executor.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();

    TrainResult r = job.get(5, TimeUnit.MINUTES);
    System.out.println("killed executor pid " + executor.pid() + " after " + killedAt);
    assertThat(failedStageAttempts.get()).isGreaterThan(failedBefore);
    assertThat(r.finalStep()).isEqualTo(200);
    // Same data position, optimizer state and schedule after the retry: the same weights.
    assertThat(DistributedTrainJobTest.maxWeightDiff(reference, run, config)).isLessThan(1e-6);
    // metrics.jsonl is cut back to the checkpoint and continued: every logged step once.
    List<Long> steps = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(run, "metrics.jsonl"))) {
      steps.add(Json.MAPPER.readTree(line).get("step").asLong());
    }
    assertThat(steps).hasSize(20).doesNotHaveDuplicates().isSorted();
  }

  @Test
  void checkpointsOnS3AreResumedByASecondJob() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(tmp.resolve("s3"), "bucket")) {
      // Set on the driver at run time only: the replicas' executors must get it from the job.
      s3.configure(spark);
      String s3data = "s3a://bucket/data";
      S3ProxyServer.upload(Path.of(data), s3data);
      String run = "s3a://bucket/run";
      DistributedTrainJob.run(
          spark,
          DistributedTrainJobTest.config("training.max_steps=2", "training.lr_decay_steps=4"),
          s3data,
          run,
          false,
          2);
      assertThat(Storage.readString(run + "/checkpoints/latest").trim()).isEqualTo("step-0000002");
      TrainResult r =
          DistributedTrainJob.run(spark, DistributedTrainJobTest.config(), s3data, run, true, 2);
      assertThat(r.finalStep()).isEqualTo(4);
      JsonNode state = Checkpoints.load(Checkpoints.latest(run)).state();
      assertThat(state.get("step").asLong()).isEqualTo(4);
      assertThat(Storage.readString(run + "/metrics.jsonl").lines()).hasSize(4);

      String local = tmp.resolve("s3-reference").toString();
      DistributedTrainJob.run(spark, DistributedTrainJobTest.config(), data, local, false, 2);
      assertThat(
              DistributedTrainJobTest.maxWeightDiff(local, run, DistributedTrainJobTest.config()))
          .isLessThan(1e-6);
    } finally {
      FileSystem.closeAll();
    }
  }

  /** The executor JVMs local-cluster's workers launched as children of this JVM. */
  private static List<ProcessHandle> executorProcesses() {
    List<ProcessHandle> out =
        ProcessHandle.current()
            .descendants()
            .filter(DistributedTrainClusterTest::isExecutor)
            .collect(Collectors.toList());
    assertThat(out).as("executor JVMs").hasSize(2);
    return out;
  }

  private static boolean isExecutor(ProcessHandle p) {
    // ProcessHandle.Info drops command lines as long as an executor's (its classpath is the
    // driver's); /proc has them whole.
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
