package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.testing.TinyTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** DPO runs on preference shards through train's paths (one replica, two), local[2]. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DpoTrainJobTest {
  static final FineTuning DPO = new FineTuning(null, 0.1);
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
    data = shared.resolve("prefs").toString();
    List<PreferenceShards.Pair> train = pairs(DpoTrainerTest.preferenceSet(1, 4, 8));
    PreferenceShards.write(
        spark, data, Map.of("train", train, "validation", train.subList(0, 16)), 8, 50, null);
  }

  static List<PreferenceShards.Pair> pairs(List<PreferenceBatch> batches) {
    List<PreferenceShards.Pair> out = new ArrayList<>();
    for (PreferenceBatch b : batches) {
      for (int i = 0; i < b.pairs(); i++) {
        out.add(
            new PreferenceShards.Pair(
                b.chosen()[i], b.chosenMask()[i], b.rejected()[i], b.rejectedMask()[i]));
      }
    }
    return out;
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config(String... more) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "training.batch_size=4",
                "training.learning_rate=3.0e-3",
                "training.warmup_steps=0",
                "training.eval_interval=10",
                "training.eval_batches=4",
                "training.log_interval=10",
                "training.distributed.checksum_interval=2"));
    all.addAll(List.of(more));
    return TinyTraining.config(all.toArray(String[]::new));
  }

  @Test
  void dpoRaisesPreferenceAccuracyAndLogsTrlsMetrics(@TempDir Path tmp) throws Exception {
    String run = tmp.resolve("run").toString();
    TrainResult r =
        Training.run(
            spark, config("training.max_steps=40", "training.batch_size=8"), data, run, false, DPO);
    assertThat(r.finalStep()).isEqualTo(40);
    assertThat(r.trainLosses().get(0)).isCloseTo(Math.log(2), within(1e-5));
    List<String> lines = Files.readAllLines(Path.of(run, "metrics.jsonl"));
    JsonNode first = Json.MAPPER.readTree(lines.get(0));
    JsonNode last = Json.MAPPER.readTree(lines.get(lines.size() - 1));
    assertThat(first.get("eval_rewards_accuracy")).isNotNull();
    assertThat(last.get("eval_rewards_accuracy").asDouble()).isGreaterThan(0.9);
    assertThat(last.get("eval_rewards_margin").asDouble())
        .isGreaterThan(first.get("eval_rewards_margin").asDouble());
    assertThat(last.get("val_loss").asDouble()).isLessThan(Math.log(2) - 0.05);
    assertThat(last.has("eval_rewards_chosen") && last.has("eval_rewards_rejected")).isTrue();
  }

  @Test
  void twoReplicasEqualOneReplicaAccumulatingAndResumeIsExact(@TempDir Path tmp) throws Exception {
    String single = tmp.resolve("single").toString();
    String dist = tmp.resolve("dist").toString();
    Config c = config("training.max_steps=4");
    TrainResult one =
        Training.run(
            spark,
            config("training.max_steps=4", "training.grad_accum_steps=2"),
            data,
            single,
            false,
            DPO);
    TrainResult two = DistributedTrainJob.run(spark, c, data, dist, false, 2, DPO);
    for (int i = 0; i < 4; i++) {
      assertThat(two.trainLosses().get(i)).isCloseTo(one.trainLosses().get(i), within(1e-5));
    }
    DistributedTrainJobTest.data = data;
    assertThat(LoraTrainJobTest.maxDiff(single, dist, Checkpoints.MODEL)).isLessThan(1e-5);

    String resumed = tmp.resolve("resumed").toString();
    Training.run(
        spark,
        config("training.max_steps=2", "training.lr_decay_steps=4", "training.grad_accum_steps=2"),
        data,
        resumed,
        false,
        DPO);
    TrainResult rest =
        Training.run(
            spark,
            config("training.max_steps=4", "training.grad_accum_steps=2"),
            data,
            resumed,
            true,
            DPO);
    assertThat(rest.trainLosses().get(3)).isCloseTo(one.trainLosses().get(3), within(1e-6));
    assertThat(LoraTrainJobTest.maxDiff(single, resumed, Checkpoints.MODEL)).isLessThan(1e-6);
  }

  @Test
  void dpoWithLoraTrainsOnlyTheAdaptersAgainstTheBase(@TempDir Path tmp) throws Exception {
    // A base: a few steps of full DPO stand in for a pretrained model of this vocabulary.
    String baseRun = tmp.resolve("base").toString();
    Training.run(spark, config("training.max_steps=2"), data, baseRun, false, DPO);
    String base = Path.of(Checkpoints.latest(baseRun), Checkpoints.MODEL).toString();
    FineTuning loraDpo =
        new FineTuning(
            new dev.sparkllm.training.model.LoraConfig(
                4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc")),
            0.1);
    String run = tmp.resolve("run").toString();
    TrainResult r =
        Training.run(
            spark,
            config(
                "training.init_from=" + base,
                "training.max_steps=40",
                "training.eval_interval=20",
                "training.batch_size=8",
                "training.learning_rate=1.0e-2",
                "training.min_lr=1.0e-2"),
            data,
            run,
            false,
            loraDpo);
    // Fresh adapters (B = 0) and the base as reference: the first loss is exactly log 2.
    assertThat(r.trainLosses().get(0)).isCloseTo(Math.log(2), within(1e-5));
    List<String> lines = Files.readAllLines(Path.of(run, "metrics.jsonl"));
    JsonNode last = Json.MAPPER.readTree(lines.get(lines.size() - 1));
    // How well adapters on a frozen random base learn this rule is DpoTrainerTest's business;
    // here: the adapters moved the policy away from the reference, towards the chosen answers.
    assertThat(last.get("val_loss").asDouble()).isLessThan(Math.log(2) - 0.005);
    assertThat(last.get("eval_rewards_margin").asDouble()).isPositive();
    assertThat(last.get("trainable_parameters").asLong()).isEqualTo(4096);
    Path ckpt = Path.of(Checkpoints.latest(run));
    assertThat(ckpt.resolve(LoraCheckpoint.ADAPTER)).exists();
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
      ai.djl.ndarray.NDList merged =
          ai.djl.ndarray.NDList.decode(m, Files.readAllBytes(ckpt.resolve(Checkpoints.MODEL)));
      ai.djl.ndarray.NDList before =
          ai.djl.ndarray.NDList.decode(m, Files.readAllBytes(Path.of(base)));
      assertThat(merged.get("wte.weight").contentEquals(before.get("wte.weight"))).isTrue();
    }
  }

  @Test
  void dpoOnTokenShardsAndTrainingOnPreferenceShardsAreClearErrors(@TempDir Path tmp) {
    String tokens = tmp.resolve("tokens").toString();
    TinyTraining.writeShards(
        spark, tokens, Map.of("train", List.of(new int[9], new int[9])), 8, 50, null);
    assertThatThrownBy(
            () ->
                Training.run(
                    spark,
                    config("training.max_steps=1"),
                    tokens,
                    tmp.resolve("a").toString(),
                    false,
                    DPO))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("has no chosen_ids column; DPO needs preference shards");
    assertThatThrownBy(
            () ->
                Training.run(
                    spark,
                    config("training.max_steps=1"),
                    data,
                    tmp.resolve("b").toString(),
                    false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("input_ids");
  }
}
