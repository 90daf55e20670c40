package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.testing.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * training.early_stopping_*: with min_delta far above any possible improvement, only the first
 * evaluation counts as one, so a run with patience P evaluating every step stops at step P + 1.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EarlyStoppingTest {
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    DistributedTrainJobTest.writeData(spark, data);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config(int patience, int maxSteps, String... more) {
    String[] base = {
      "training.batch_size=4",
      "training.eval_interval=1",
      "training.log_interval=1",
      "training.lr_decay_steps=20",
      "training.early_stopping_min_delta=100.0",
      "training.early_stopping_patience=" + patience,
      "training.max_steps=" + maxSteps,
      "training.distributed.timeout_s=60"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return TrainJobTest.config(all);
  }

  static JsonNode state(String checkpoint) throws Exception {
    return Json.MAPPER.readTree(Path.of(checkpoint, "state.json").toFile());
  }

  @Test
  void stopsAfterPatienceEvaluationsAndKeepsTheStopStepCheckpoint(@TempDir Path tmp)
      throws Exception {
    String run = tmp.resolve("run").toString();
    TrainResult r = TrainJob.run(spark, config(2, 10), data, run, false);

    assertThat(r.stoppedEarly()).isTrue();
    assertThat(r.finalStep()).isEqualTo(3);
    assertThat(r.valLosses()).hasSize(3);
    assertThat(r.bestValLoss()).isEqualTo(r.valLosses().get(0)[1]);
    assertThat(r.checkpoint()).endsWith("step-0000003");
    assertThat(Checkpoints.latest(run)).endsWith("step-0000003");
    JsonNode s = state(r.checkpoint());
    assertThat(s.get("step").asLong()).isEqualTo(3);
    assertThat(s.get("evals_without_improvement").asInt()).isEqualTo(2);
    assertThat(s.get("best_val_loss").asDouble()).isEqualTo(r.bestValLoss());
    assertThat(Files.readAllLines(Path.of(run, "metrics.jsonl"))).hasSize(3);

    // Without early stopping the same run goes on to max_steps.
    TrainResult off = TrainJob.run(spark, config(0, 5), data, tmp.resolve("off").toString(), false);
    assertThat(off.stoppedEarly()).isFalse();
    assertThat(off.finalStep()).isEqualTo(5);
  }

  @Test
  void resumedRunContinuesTheCountExactly(@TempDir Path tmp) throws Exception {
    String whole = tmp.resolve("whole").toString();
    TrainResult uninterrupted = TrainJob.run(spark, config(3, 10), data, whole, false);
    assertThat(uninterrupted.finalStep()).isEqualTo(4);

    // Interrupted at step 2 (one evaluation without improvement counted), then resumed: both
    // the best loss and the count come back, so it stops at step 4 too, not later.
    String parts = tmp.resolve("parts").toString();
    TrainResult first = TrainJob.run(spark, config(3, 2), data, parts, false);
    assertThat(first.stoppedEarly()).isFalse();
    JsonNode s = state(first.checkpoint());
    assertThat(s.get("evals_without_improvement").asInt()).isEqualTo(1);
    assertThat(s.get("best_val_loss").asDouble()).isEqualTo(first.valLosses().get(0)[1]);

    TrainResult resumed = TrainJob.run(spark, config(3, 10), data, parts, true);
    assertThat(resumed.stoppedEarly()).isTrue();
    assertThat(resumed.finalStep()).isEqualTo(4);
    assertThat(resumed.bestValLoss()).isEqualTo(uninterrupted.bestValLoss());
    assertThat(resumed.checkpoint()).endsWith("step-0000004");
  }

  @Test
  void resumingARunThatStoppedEarlyTrainsNoFurther(@TempDir Path tmp) throws Exception {
    String run = tmp.resolve("run").toString();
    TrainResult stopped = TrainJob.run(spark, config(2, 10), data, run, false);
    assertThat(stopped.finalStep()).isEqualTo(3);

    // --resume / --auto-resume / a rerun pipeline after the stop: the run is finished.
    TrainResult again = TrainJob.run(spark, config(2, 10), data, run, true);
    assertThat(again.stoppedEarly()).isTrue();
    assertThat(again.finalStep()).isEqualTo(3);
    assertThat(again.checkpoint()).endsWith("step-0000003");
    assertThat(Checkpoints.latest(run)).endsWith("step-0000003");

    // A larger patience on resume is a request to keep going.
    TrainResult more = TrainJob.run(spark, config(4, 10), data, run, true);
    assertThat(more.finalStep()).isEqualTo(5);
    assertThat(more.stoppedEarly()).isTrue();
  }

  @Test
  void resumingARunAlreadyAtMaxStepsReturnsItsCheckpoint(@TempDir Path tmp) throws Exception {
    String run = tmp.resolve("run").toString();
    TrainJob.run(spark, config(0, 2), data, run, false);
    // What the pipeline does after a crash between the last checkpoint and its stage marker; the
    // result's checkpoint was null, and the demo then failed loading it.
    TrainResult again = TrainJob.run(spark, config(0, 2), data, run, true);
    assertThat(again.finalStep()).isEqualTo(2);
    assertThat(again.checkpoint()).isNotNull().endsWith("step-0000002");
  }

  @Test
  void replicasStopTogetherAtTheSameStep(@TempDir Path tmp) throws Exception {
    String run = tmp.resolve("dist").toString();
    // checksum every step: replicas that disagreed on stopping would leave one waiting on the
    // other's gradients until the timeout; this finishing at all is half the assertion.
    TrainResult r =
        DistributedTrainJob.run(
            spark, config(2, 10, "training.distributed.checksum_interval=1"), data, run, false, 2);
    assertThat(r.stoppedEarly()).isTrue();
    assertThat(r.finalStep()).isEqualTo(3);
    assertThat(r.checkpoint()).endsWith("step-0000003");
    assertThat(state(Checkpoints.latest(run)).get("step").asLong()).isEqualTo(3);
  }
}
