package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code training.distributed.sync} local_sgd and diloco: one replica on the driver, two as task
 * threads (local[2]); exact resume, identical replicas after each sync, bytes per step.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SyncModesTest {
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    DistributedTrainJobTest.writeData(spark, data);
    DistributedTrainJobTest.data = data;
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config(String... more) {
    return DistributedTrainJobTest.config(more);
  }

  private static Map<String, Parameter> weights(Trainer t, String run) {
    Checkpoints.restore(Checkpoints.load(Checkpoints.latest(run)), t);
    return t.model().namedParameters();
  }

  @Test
  void localSgdWithOneReplicaIsPlainTraining(@TempDir Path tmp) {
    String plain = tmp.resolve("plain").toString();
    String local = tmp.resolve("local").toString();
    TrainResult a = TrainJob.run(spark, config(), data, plain, false);
    TrainResult b =
        TrainJob.run(
            spark,
            config("training.distributed.sync=local_sgd", "training.distributed.sync_every=2"),
            data,
            local,
            false);
    assertThat(b.trainLosses()).containsExactlyElementsOf(a.trainLosses());
    assertThat(DistributedTrainJobTest.maxWeightDiff(plain, local, config())).isZero();
  }

  /**
   * One replica with diloco still takes the outer step: after H=2 inner steps the weights are θ0 −
   * lr·(1 + μ)·(θ0 − θ2), with θ2 the weights two plain steps reach.
   */
  @Test
  void dilocoWithOneReplicaTakesTheOuterStep(@TempDir Path tmp) {
    String plain = tmp.resolve("plain").toString();
    String diloco = tmp.resolve("diloco").toString();
    Config plainConfig = config("training.max_steps=2", "training.lr_decay_steps=4");
    TrainJob.run(spark, plainConfig, data, plain, false);
    TrainJob.run(
        spark,
        config(
            "training.max_steps=2",
            "training.lr_decay_steps=4",
            "training.distributed.sync=diloco",
            "training.distributed.sync_every=2",
            "training.distributed.outer_lr=0.5",
            "training.distributed.outer_momentum=0.8"),
        data,
        diloco,
        false);
    TrainSetup p = TrainSetup.prepare(plainConfig, data, tmp.resolve("probe").toString(), false);
    try (Trainer init = new Trainer(p.model(), p.options());
        Trainer two = new Trainer(p.model(), p.options());
        Trainer outer = new Trainer(p.model(), p.options())) {
      Map<String, Parameter> w0 = init.model().namedParameters();
      Map<String, Parameter> w2 = weights(two, plain);
      Map<String, Parameter> got = weights(outer, diloco);
      double maxErr = 0;
      double maxStep = 0;
      for (String name : w0.keySet()) {
        float[] a = w0.get(name).getArray().toFloatArray();
        float[] b = w2.get(name).getArray().toFloatArray();
        float[] c = got.get(name).getArray().toFloatArray();
        for (int i = 0; i < a.length; i++) {
          double expected = a[i] - 0.5 * 1.8 * (a[i] - b[i]);
          maxErr = Math.max(maxErr, Math.abs(c[i] - expected));
          maxStep = Math.max(maxStep, Math.abs(b[i] - expected));
        }
      }
      assertThat(maxErr).isLessThan(1e-6);
      // ...which is not where plain training ends.
      assertThat(maxStep).isGreaterThan(1e-4);
    }
    assertThat(Path.of(diloco, "checkpoints", "step-0000002", Checkpoints.OUTER)).exists();
  }

  /**
   * Two replicas, H=2, 6 steps: syncs at 2, 4, 6; the parameter check at step 4 (a sync) passes;
   * the window of steps 5–6 holds one exchange of every parameter plus the loss: bytes per step are
   * that frame over H. Checkpoints land on syncs only (interval 3 → steps 4 and 6).
   */
  @Test
  void twoReplicasAgreeAfterEachSyncAndMoveOneFramePerHSteps(@TempDir Path tmp) throws Exception {
    for (String mode : List.of("local_sgd", "diloco")) {
      String run = tmp.resolve(mode).toString();
      TrainResult r =
          DistributedTrainJob.run(
              spark,
              config(
                  "training.max_steps=6",
                  "training.log_interval=2",
                  "training.checkpoint_interval=3",
                  "training.keep_checkpoints=0",
                  "training.distributed.checksum_interval=4",
                  "training.distributed.sync=" + mode,
                  "training.distributed.sync_every=2"),
              data,
              run,
              false,
              2);
      assertThat(r.finalStep()).isEqualTo(6);
      List<String> metrics = Files.readAllLines(Path.of(run, "metrics.jsonl"));
      assertThat(metrics).hasSize(3);
      JsonNode m = Json.MAPPER.readTree(metrics.get(2));
      assertThat(m.get("sync").asText()).isEqualTo(mode);
      assertThat(m.get("sync_every").asInt()).isEqualTo(2);
      long params =
          TrainSetup.prepare(config(), data, tmp.resolve("p-" + mode).toString(), false)
              .model()
              .parameterCount();
      long frame = 27 + 4 * (params + 1);
      assertThat(m.get("bytes_sent").asLong()).isEqualTo(frame / 2);
      assertThat(m.get("bytes_received").asLong()).isEqualTo(frame / 2);
      try (var dirs = Files.list(Path.of(run, "checkpoints"))) {
        assertThat(dirs.map(d -> d.getFileName().toString()).sorted())
            .containsExactly("latest", "step-0000004", "step-0000006");
      }
      Path last = Path.of(run, "checkpoints", "step-0000006");
      assertThat(last.resolve("optimizer-rank-1.safetensors")).exists();
      assertThat(last.resolve(Checkpoints.OUTER).toFile().exists())
          .isEqualTo(mode.equals("diloco"));
    }
  }

  /**
   * Stopped at step 4 and resumed to 6, each mode ends bit-for-bit where the uninterrupted run did:
   * rank 1 gets its own AdamW moments back, and diloco its outer momentum.
   */
  @Test
  void resumedRunsEqualUninterruptedOnesInBothModes(@TempDir Path tmp) {
    for (String mode : List.of("local_sgd", "diloco")) {
      String[] common = {
        "training.distributed.sync=" + mode,
        "training.distributed.sync_every=2",
        // Every sync compares the replicas; a comparison between syncs would fail the run.
        "training.distributed.checksum_interval=1",
      };
      Config full = config(concat(common, "training.max_steps=6"));
      Config firstPart =
          config(concat(common, "training.max_steps=4", "training.lr_decay_steps=6"));
      String uninterrupted = tmp.resolve(mode + "-full").toString();
      String resumed = tmp.resolve(mode + "-resumed").toString();
      TrainResult a = DistributedTrainJob.run(spark, full, data, uninterrupted, false, 2);
      DistributedTrainJob.run(spark, firstPart, data, resumed, false, 2);
      TrainResult b = DistributedTrainJob.run(spark, full, data, resumed, true, 2);
      assertThat(b.finalStep()).isEqualTo(6);
      assertThat(b.trainLosses()).containsExactlyElementsOf(a.trainLosses());
      assertThat(DistributedTrainJobTest.maxWeightDiff(uninterrupted, resumed, full))
          .as(mode)
          .isZero();
    }
  }

  /**
   * Evaluations fall on the first sync at or after each multiple of eval_interval (3 → syncs 4 and
   * 6 with H=2); early stopping there writes a checkpoint that holds rank 1's state too.
   */
  @Test
  void earlyStoppingAtASyncCheckpointsEveryRank(@TempDir Path tmp) {
    String run = tmp.resolve("stop").toString();
    TrainResult r =
        DistributedTrainJob.run(
            spark,
            config(
                "training.max_steps=20",
                "training.eval_interval=3",
                "training.eval_batches=1",
                "training.early_stopping_patience=1",
                // Only the first evaluation counts as an improvement: the run stops at the second.
                "training.early_stopping_min_delta=100",
                "training.distributed.sync=diloco",
                "training.distributed.sync_every=2"),
            data,
            run,
            false,
            2);
    assertThat(r.stoppedEarly()).isTrue();
    assertThat(r.finalStep()).isEqualTo(6);
    assertThat(r.valLosses()).extracting(v -> v[0]).containsExactly(4.0, 6.0);
    Path last = Path.of(run, "checkpoints", "step-0000006");
    assertThat(last.resolve("optimizer-rank-1.safetensors")).exists();
    try (var files = Files.list(Path.of(run, "checkpoints"))) {
      // The staged copies are gone once bundled.
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".replica-"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void badSyncSettingsAreOneLineErrorsNamingTheKey() {
    assertThatThrownBy(
            () ->
                TrainingOptions.fromConfig(
                    config("training.distributed.sync=ring").section("training")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessage("training.distributed.sync must be step, local_sgd or diloco, got 'ring'");
    assertThatThrownBy(
            () ->
                TrainingOptions.fromConfig(
                    config("training.distributed.sync_every=0").section("training")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageStartingWith("training.distributed.sync_every must be >= 1");
    assertThatThrownBy(
            () ->
                TrainingOptions.fromConfig(
                    config("training.distributed.outer_momentum=1").section("training")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageStartingWith("training.distributed.outer_momentum must be in [0, 1)");
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
