package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.distributed.DistributedOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two replicas as two task threads of one JVM (local[2]). */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DistributedTrainJobTest {
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  @BeforeAll
  static void setUp() throws Exception {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    writeData(spark, data);
  }

  /** The shards every distributed test trains on: a repeated 12-token pattern, 48 + 8 rows. */
  static void writeData(SparkSession session, String dir) {
    TrainJobTest.spark = session; // TrainJobTest.writeData uses it
    TrainJobTest.writeData(
        dir,
        TrainJobTest.pattern(48, 12),
        TrainJobTest.pattern(8, 12),
        TrainJobTest.SEQ,
        TrainJobTest.VOCAB,
        "abc123");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config(String... more) {
    String[] base = {
      "training.batch_size=4",
      "training.max_steps=4",
      "training.eval_interval=0",
      "training.log_interval=1",
      "training.distributed.checksum_interval=2"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return TrainJobTest.config(all);
  }

  static double maxWeightDiff(String runA, String runB, Config c) {
    TrainSetup p = TrainSetup.prepare(c, data, runA + "-probe", false);
    try (Trainer a = new Trainer(p.model(), p.options());
        Trainer b = new Trainer(p.model(), p.options())) {
      Checkpoints.restore(Checkpoints.load(Checkpoints.latest(runA)), a);
      Checkpoints.restore(Checkpoints.load(Checkpoints.latest(runB)), b);
      return TrainerTest.maxDiff(a.model().namedParameters(), b.model().namedParameters());
    }
  }

  @Test
  void twoReplicasEqualOneReplicaAccumulatingTheirBatches(@TempDir Path tmp) throws Exception {
    String single = tmp.resolve("single").toString();
    String dist = tmp.resolve("dist").toString();
    TrainResult one =
        TrainJob.run(spark, config("training.grad_accum_steps=2"), data, single, false);
    TrainResult two = DistributedTrainJob.run(spark, config(), data, dist, false, 2);

    assertThat(two.finalStep()).isEqualTo(4);
    assertThat(two.trainLosses()).hasSize(4);
    for (int i = 0; i < 4; i++) {
      assertThat(two.trainLosses().get(i)).isCloseTo(one.trainLosses().get(i), within(1e-5));
    }
    assertThat(maxWeightDiff(single, dist, config())).isLessThan(1e-5);

    // Stopped after 2 steps and resumed from its checkpoint, it ends where the uninterrupted run
    // did: data position, optimizer state and step count all come back.
    String resumed = tmp.resolve("resumed").toString();
    DistributedTrainJob.run(
        spark,
        config("training.max_steps=2", "training.lr_decay_steps=4"),
        data,
        resumed,
        false,
        2);
    List<String> firstPart = Files.readAllLines(Path.of(resumed, "metrics.jsonl"));
    assertThat(firstPart).hasSize(2);
    List<String> log = new CopyOnWriteArrayList<>();
    TrainResult rest;
    try (LogCapture capture = new LogCapture(TrainLoop.class, log)) {
      rest = DistributedTrainJob.run(spark, config(), data, resumed, true, 2);
    }
    // The end state alone would also be reached by a run that restarted from step 0: the replicas
    // must have started at the checkpoint's step 2, and kept the first part's metrics lines (with
    // their own timings) instead of logging steps 1 and 2 again.
    assertThat(log)
        .filteredOn(l -> l.startsWith("resuming from "))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).endsWith(" at step 2"));
    List<String> resumedMetrics = Files.readAllLines(Path.of(resumed, "metrics.jsonl"));
    assertThat(resumedMetrics).hasSize(4);
    assertThat(resumedMetrics.subList(0, 2)).containsExactlyElementsOf(firstPart);
    assertThat(rest.finalStep()).isEqualTo(4);
    assertThat(rest.lastTrainLoss()).isCloseTo(two.lastTrainLoss(), within(1e-6));
    assertThat(maxWeightDiff(dist, resumed, config())).isLessThan(1e-6);

    List<String> metrics = Files.readAllLines(Path.of(dist, "metrics.jsonl"));
    assertThat(metrics).hasSize(4);
    JsonNode m = Json.MAPPER.readTree(metrics.get(3));
    assertThat(m.get("replicas").asInt()).isEqualTo(2);
    assertThat(m.get("compute_ms").asDouble()).isPositive();
    assertThat(m.get("comm_ms").asDouble()).isPositive();
    // Step 3 holds no checksum round: one frame of every gradient plus the loss in fp32 each way.
    JsonNode m3 = Json.MAPPER.readTree(metrics.get(2));
    long params =
        TrainSetup.prepare(config(), data, tmp.resolve("p").toString(), false)
            .model()
            .parameterCount();
    assertThat(m3.get("bytes_sent").asLong()).isEqualTo(27 + 4 * (params + 1));
    assertThat(m3.get("bytes_received").asLong()).isEqualTo(27 + 4 * (params + 1));
  }

  /** Collects the formatted messages {@code logger} logs at INFO and above while open. */
  static final class LogCapture implements AutoCloseable {
    private final org.apache.logging.log4j.core.LoggerContext ctx =
        (org.apache.logging.log4j.core.LoggerContext)
            org.apache.logging.log4j.LogManager.getContext(false);
    private final String name;

    LogCapture(Class<?> logger, List<String> into) {
      name = logger.getName();
      org.apache.logging.log4j.core.appender.AbstractAppender appender =
          new org.apache.logging.log4j.core.appender.AbstractAppender(
              "capture-" + name,
              null,
              null,
              true,
              org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent e) {
              into.add(e.getMessage().getFormattedMessage());
            }
          };
      appender.start();
      org.apache.logging.log4j.core.config.LoggerConfig own =
          new org.apache.logging.log4j.core.config.LoggerConfig(
              name, org.apache.logging.log4j.Level.INFO, true);
      own.addAppender(appender, org.apache.logging.log4j.Level.INFO, null);
      ctx.getConfiguration().addLogger(name, own);
      ctx.updateLoggers();
    }

    @Override
    public void close() {
      ctx.getConfiguration().removeLogger(name);
      ctx.updateLoggers();
    }
  }

  @Test
  void bf16OnTheWireHalvesTheBytesAndKeepsReplicasInStep(@TempDir Path tmp) throws Exception {
    String run = tmp.resolve("bf16").toString();
    // checksum_interval=2: the replicas' weights are compared at steps 0, 2 and 4 and must agree.
    TrainResult r =
        DistributedTrainJob.run(
            spark, config("training.distributed.wire_dtype=bf16"), data, run, false, 2);
    assertThat(r.finalStep()).isEqualTo(4);
    JsonNode m3 = Json.MAPPER.readTree(Files.readAllLines(Path.of(run, "metrics.jsonl")).get(2));
    long params =
        TrainSetup.prepare(config(), data, tmp.resolve("p").toString(), false)
            .model()
            .parameterCount();
    assertThat(m3.get("bytes_sent").asLong()).isEqualTo(27 + 2 * (params + 1));
  }

  @Test
  void tooManyReplicasIsAClearError(@TempDir Path tmp) {
    assertThatThrownBy(
            () ->
                DistributedTrainJob.run(
                    spark, config(), data, tmp.resolve("r").toString(), false, 3))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("--replicas 3 needs that many concurrent task slots")
        .hasMessageContaining("has 2");
  }

  @Test
  void gradientTrafficIsEncryptedWhenSparkEncryptsItsOwn() {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false);
    assertThat(DistributedTrainJob.encrypts(conf)).isFalse();
    assertThat(
            DistributedTrainJob.encrypts(conf.clone().set("spark.network.crypto.enabled", "true")))
        .isTrue();
    assertThat(DistributedTrainJob.encrypts(conf.clone().set("spark.ssl.enabled", "true")))
        .isTrue();
  }

  @Test
  void dynamicAllocationIsRefused() {
    org.apache.spark.SparkConf conf =
        new org.apache.spark.SparkConf().set("spark.dynamicAllocation.enabled", "true");
    assertThatThrownBy(() -> DistributedTrainJob.checkCluster(conf, 8, 2))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("spark.dynamicAllocation.enabled=false");
    org.apache.spark.SparkConf twoCpus =
        new org.apache.spark.SparkConf().set("spark.task.cpus", "2");
    DistributedTrainJob.checkCluster(twoCpus, 8, 4);
    assertThatThrownBy(() -> DistributedTrainJob.checkCluster(twoCpus, 8, 5))
        .hasMessageContaining("the cluster has 4");
    // auto: a replica per task slot, or per GPU when tasks take GPUs and there are fewer.
    assertThat(DistributedTrainJob.checkCluster(twoCpus, 8, DistributedOptions.AUTO)).isEqualTo(4);
    org.apache.spark.SparkConf gpus =
        new org.apache.spark.SparkConf()
            .set("spark.executor.instances", "3")
            .set("spark.executor.resource.gpu.amount", "1")
            .set("spark.task.resource.gpu.amount", "1");
    assertThat(DistributedTrainJob.checkCluster(gpus, 12, DistributedOptions.AUTO)).isEqualTo(3);
    assertThatThrownBy(() -> DistributedTrainJob.checkCluster(gpus, 12, 4))
        .hasMessageContaining("the cluster has 3");
  }

  @Test
  void gpuRequestedWithoutGpusIsAClearError(@TempDir Path tmp) {
    assertThatThrownBy(
            () ->
                DistributedTrainJob.run(
                    spark,
                    config("training.device=gpu"),
                    data,
                    tmp.resolve("r").toString(),
                    false,
                    2))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("training.device=gpu but spark.task.resource.gpu.amount is not set");
  }

  @Test
  void replicaWithoutTheGpuSparkPromisedIsAClearError() {
    // The replica-side check, for when the confs are set but a task still lands without a GPU.
    TrainingOptions gpu =
        TrainingOptions.fromConfig(config("training.device=gpu").section("training"));
    assertThatThrownBy(() -> Devices.forTask(Map.of(), gpu, 3))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("training.device=gpu but Spark gave rank 3 no GPU");
    // A GPU address from Spark on a machine whose PyTorch has no CUDA (CPU natives shipped).
    TrainingOptions auto = TrainingOptions.fromConfig(config().section("training"));
    Map<String, ResourceInformation> given =
        Map.of("gpu", new ResourceInformation("gpu", new String[] {"1"}));
    assertThatThrownBy(() -> Devices.forTask(given, auto, 0))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("rank 0 was given GPU 1 by Spark but PyTorch sees no CUDA device");
    assertThat(Devices.forTask(Map.of(), auto, 0)).isEqualTo(ai.djl.Device.cpu()); // no GPU here
  }

  @Test
  void replicaRefusesHalfPrecisionOnCpuLikeTheDriver() {
    // Before the device choice had one owner, a replica passed its own device and skipped the
    // driver's refusal, so fp16 on a CPU replica started training instead of failing clearly.
    TrainingOptions fp16 =
        TrainingOptions.fromConfig(config("training.precision=fp16").section("training"));
    assertThatThrownBy(() -> Devices.forTask(Map.of(), fp16, 1))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("training.precision=fp16 needs a GPU");
  }
}
