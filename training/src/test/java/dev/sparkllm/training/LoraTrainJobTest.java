package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.model.LoraConfig;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** LoRA runs through the training paths (one replica, two in a barrier stage), local[2]. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LoraTrainJobTest {
  static final LoraConfig LORA = new LoraConfig(4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"));
  static final FineTuning TUNING = new FineTuning(LORA, null);
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  /** A briefly pretrained base: its checkpoint directory and model.safetensors. */
  static String baseDir;

  static String baseWeights;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    DistributedTrainJobTest.data = data;
    DistributedTrainJobTest.writeData(spark, data);
    String baseRun = shared.resolve("base").toString();
    TrainJob.run(spark, DistributedTrainJobTest.config(), data, baseRun, false);
    baseDir = Checkpoints.latest(baseRun);
    baseWeights = Path.of(baseDir, Checkpoints.MODEL).toString();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config(String... more) {
    String[] all = new String[more.length + 2];
    all[0] = "training.init_from=" + baseWeights;
    all[1] = "training.learning_rate=1.0e-2";
    System.arraycopy(more, 0, all, 2, more.length);
    return DistributedTrainJobTest.config(all);
  }

  static NDList tensors(NDManager m, String run, String file) throws Exception {
    byte[] b = Files.readAllBytes(Path.of(Checkpoints.latest(run), file));
    return NDList.decode(m, new ByteArrayInputStream(b));
  }

  static List<String> names(NDList list) {
    return list.stream().map(NDArray::getName).toList();
  }

  static double maxDiff(String runA, String runB, String file) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      NDList a = tensors(m, runA, file);
      NDList b = tensors(m, runB, file);
      assertThat(names(a)).containsExactlyInAnyOrderElementsOf(names(b));
      double max = 0;
      for (NDArray x : a) {
        max = Math.max(max, x.sub(b.get(x.getName())).abs().max().getFloat());
      }
      return max;
    }
  }

  @Test
  void twoReplicasEqualOneReplicaAccumulatingAndResumeIsExact(@TempDir Path tmp) throws Exception {
    String single = tmp.resolve("single").toString();
    String dist = tmp.resolve("dist").toString();
    TrainResult one =
        Training.run(spark, config("training.grad_accum_steps=2"), data, single, false, TUNING);
    TrainResult two = DistributedTrainJob.run(spark, config(), data, dist, false, 2, TUNING);
    for (int i = 0; i < 4; i++) {
      assertThat(two.trainLosses().get(i)).isCloseTo(one.trainLosses().get(i), within(1e-5));
    }
    assertThat(one.lastTrainLoss()).isLessThan(one.trainLosses().get(0));
    JsonNode line =
        Json.MAPPER.readTree(Files.readAllLines(Path.of(single, "metrics.jsonl")).get(0));
    assertThat(line.get("trainable_parameters").asLong()).isEqualTo(2L * (512 + 256 + 640 + 640));
    assertThat(maxDiff(single, dist, LoraCheckpoint.ADAPTER)).isLessThan(1e-5);
    assertThat(maxDiff(single, dist, Checkpoints.MODEL)).isLessThan(1e-5);

    Path ckpt = Path.of(Checkpoints.latest(single));
    JsonNode cfg = Json.MAPPER.readTree(ckpt.resolve(LoraCheckpoint.ADAPTER_CONFIG).toFile());
    assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
    assertThat(cfg.get("r").asInt()).isEqualTo(4);
    assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo(baseWeights);
    assertThat(cfg.get("base_model_sha256").asText())
        .isEqualTo(Hashing.sha256Hex(Files.readAllBytes(Path.of(baseWeights))));
    try (NDManager m = NDManager.newBaseManager()) {
      NDList adapters = tensors(m, single, LoraCheckpoint.ADAPTER);
      assertThat(names(adapters))
          .hasSize(16)
          .allSatisfy(n -> assertThat(n).startsWith("base_model.model.transformer.h."))
          .contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
      // Only the adapters moved: a weight no adapter touches is the base's, bit for bit.
      NDList merged = tensors(m, single, Checkpoints.MODEL);
      NDList base = NDList.decode(m, Files.readAllBytes(Path.of(baseWeights)));
      for (String name : List.of("wte.weight", "h.0.ln_1.weight", "h.1.attn.c_attn.bias")) {
        assertThat(merged.get(name).contentEquals(base.get(name))).as(name).isTrue();
      }
      assertThat(
              merged
                  .get("h.0.attn.c_attn.weight")
                  .contentEquals(base.get("h.0.attn.c_attn.weight")))
          .isFalse();
      // The optimizer holds the adapters' moments only.
      NDList opt = tensors(m, single, Checkpoints.OPTIMIZER);
      assertThat(names(opt)).hasSize(32).allSatisfy(n -> assertThat(n).contains(".lora_"));
    }

    // Stopped after 2 steps and resumed, it ends where the uninterrupted run did.
    String resumed = tmp.resolve("resumed").toString();
    Training.run(
        spark,
        config("training.grad_accum_steps=2", "training.max_steps=2", "training.lr_decay_steps=4"),
        data,
        resumed,
        false,
        TUNING);
    TrainResult rest =
        Training.run(spark, config("training.grad_accum_steps=2"), data, resumed, true, TUNING);
    assertThat(rest.finalStep()).isEqualTo(4);
    assertThat(maxDiff(single, resumed, LoraCheckpoint.ADAPTER)).isLessThan(1e-6);

    // The merged model.safetensors is a plain model for every reader; merge writes the same.
    String mergedDir = tmp.resolve("merged").toString();
    assertThat(LoraMerge.merge(baseDir, ckpt.toString(), mergedDir, false)).isEqualTo(8);
    try (NDManager m = NDManager.newBaseManager()) {
      NDList fromMerge =
          NDList.decode(m, Files.readAllBytes(Path.of(mergedDir, Checkpoints.MODEL)));
      NDList fromRun = tensors(m, single, Checkpoints.MODEL);
      for (NDArray x : fromRun) {
        assertThat(x.sub(fromMerge.get(x.getName())).abs().max().getFloat())
            .as(x.getName())
            .isLessThanOrEqualTo(1e-6f);
      }
      Generator.load(m, mergedDir);
      Generator.load(m, ckpt.toString());
    }

    // Resuming on another base, or merging into one, is refused naming the SHA.
    assertThatThrownBy(
            () -> LoraMerge.merge(ckpt.toString(), ckpt.toString(), mergedDir + "2", false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("says the adapter was trained on a base with SHA-256");
    String otherBase = tmp.resolve("other.safetensors").toString();
    Files.copy(ckpt.resolve(Checkpoints.MODEL), Path.of(otherBase));
    assertThatThrownBy(
            () ->
                Training.run(
                    spark,
                    DistributedTrainJobTest.config(
                        "training.init_from=" + otherBase, "training.max_steps=6"),
                    data,
                    resumed,
                    true,
                    TUNING))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("resume from the same base model");
  }

  @Test
  void loraWithoutABaseIsAClearError(@TempDir Path tmp) {
    assertThatThrownBy(
            () ->
                Training.run(
                    spark,
                    DistributedTrainJobTest.config(),
                    data,
                    tmp.resolve("r").toString(),
                    false,
                    TUNING))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("LoRA fine-tuning needs a base model: set training.init_from");
  }
}
