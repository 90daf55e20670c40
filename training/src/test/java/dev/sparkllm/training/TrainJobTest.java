package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.testing.TinyTraining;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TrainJobTest {
  static final int VOCAB = 32;
  static final int SEQ = 16;
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;

  @BeforeAll
  static void setUp() throws Exception {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    // A 12-token "sentence" repeated: rows start at every offset, so the next token is always
    // determined by the context and a working model drives the loss to ~0.
    writeData(data, pattern(48, 12), pattern(8, 12), SEQ, VOCAB, "abc123");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static List<int[]> pattern(int rows, int period) {
    List<int[]> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int[] ids = new int[SEQ + 1];
      for (int j = 0; j <= SEQ; j++) {
        ids[j] = 1 + (r + j) % period;
      }
      out.add(ids);
    }
    return out;
  }

  static void writeData(
      String dir, List<int[]> train, List<int[]> val, int seqLen, int vocab, String sha) {
    TinyTraining.writeShards(
        spark, dir, Map.of("train", train, "validation", val), seqLen, vocab, sha);
  }

  static Config config(String... overrides) {
    return TinyTraining.config(overrides);
  }

  @Test
  void tinyModelOverfitsARepeatedText(@TempDir Path tmp) throws Exception {
    String out = tmp.resolve("run").toString();
    TrainResult r = TrainJob.run(spark, config("training.max_steps=40"), data, out, false);
    assertThat(r.finalStep()).isEqualTo(40);
    assertThat(r.trainLosses().get(0)).isGreaterThan(2.0); // ~ln(32) before learning
    assertThat(r.lastTrainLoss()).isLessThan(0.1);
    assertThat(r.valLosses()).hasSize(2);
    assertThat(r.bestValLoss()).isLessThan(0.1);
    List<String> metrics = Files.readAllLines(Path.of(out, "metrics.jsonl"));
    assertThat(metrics).hasSize(4);
    assertThat(Json.MAPPER.readTree(metrics.get(1)).fieldNames())
        .toIterable()
        .contains("step", "train_loss", "val_loss", "lr", "grad_norm", "tokens_per_s");
    Path ckpt = Path.of(out, "checkpoints", "step-0000040");
    assertThat(Files.readString(Path.of(out, "checkpoints", "latest")).trim())
        .isEqualTo("step-0000040");
    assertThat(ckpt.resolve("model.safetensors")).exists();
    assertThat(ckpt.resolve("optimizer.safetensors")).exists();
    assertThat(ckpt.resolve("config.json")).exists();
    assertThat(Files.readString(ckpt.resolve("SHA256SUMS"))).contains("  state.json");
    assertThat(Json.MAPPER.readTree(ckpt.resolve("state.json").toFile()).get("step").asLong())
        .isEqualTo(40);
    // The trained checkpoint continues the pattern 1..12.
    try (NDManager m = NDManager.newBaseManager()) {
      int[] next =
          Generator.generate(
              Generator.load(m, ckpt.toString()),
              new int[] {3, 4, 5},
              Generator.Options.greedy(10));
      assertThat(next).containsExactly(6, 7, 8, 9, 10, 11, 12, 1, 2, 3);
    }
  }

  @Test
  void resumedRunEqualsUninterruptedRun(@TempDir Path tmp) throws Exception {
    String[] common = {
      "model.dropout=0.1", "training.lr_decay_steps=8", "training.eval_interval=2",
      "training.checkpoint_interval=4", "training.keep_checkpoints=0", "training.batch_size=4",
      "training.grad_accum_steps=2"
    };
    String a = tmp.resolve("a").toString();
    String b = tmp.resolve("b").toString();
    TrainResult whole = TrainJob.run(spark, with(common, "training.max_steps=8"), data, a, false);
    TrainJob.run(spark, with(common, "training.max_steps=3"), data, b, false);
    TrainResult resumed = TrainJob.run(spark, with(common, "training.max_steps=8"), data, b, true);
    assertThat(resumed.finalStep()).isEqualTo(8);
    assertThat(resumed.trainLosses()).hasSize(8);
    for (int i = 0; i < 8; i++) {
      assertThat(resumed.trainLosses().get(i)).isCloseTo(whole.trainLosses().get(i), within(1e-6));
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDList wa = weights(m, a);
      NDList wb = weights(m, b);
      for (NDArray x : wa) {
        assertThat(x.sub(wb.get(x.getName())).abs().max().getFloat())
            .as(x.getName())
            .isLessThanOrEqualTo(1e-6f);
      }
    }
    // The resumed run's metrics continue the first part's (which also logged its last step, 3).
    assertThat(steps(b)).containsExactly(2L, 3L, 4L, 6L, 8L);
    assertThat(steps(a)).containsExactly(2L, 4L, 6L, 8L);
  }

  static List<Long> steps(String run) throws Exception {
    List<Long> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(run, "metrics.jsonl"))) {
      out.add(Json.MAPPER.readTree(line).get("step").asLong());
    }
    return out;
  }

  static Config with(String[] common, String... more) {
    List<String> all = new ArrayList<>(Arrays.asList(common));
    all.addAll(Arrays.asList(more));
    return config(all.toArray(new String[0]));
  }

  static NDList weights(NDManager m, String run) throws Exception {
    byte[] bytes =
        Files.readAllBytes(Path.of(run, "checkpoints", "step-0000008", "model.safetensors"));
    return NDList.decode(m, new ByteArrayInputStream(bytes));
  }

  @Test
  void corruptOrMismatchedCheckpointIsRefused(@TempDir Path tmp) throws Exception {
    String out = tmp.resolve("run").toString();
    TrainJob.run(spark, config("training.max_steps=2"), data, out, false);
    assertThatThrownBy(
            () ->
                TrainJob.run(
                    spark, config("training.max_steps=4", "model.n_embd=64"), data, out, true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("was trained with model");
    assertThatThrownBy(() -> TrainJob.run(spark, config("training.max_steps=4"), data, out, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("pass --resume");
    Path model = Path.of(out, "checkpoints", "step-0000002", "model.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length - 1] ^= 0x55;
    Files.write(model, bytes);
    assertThatThrownBy(() -> TrainJob.run(spark, config("training.max_steps=4"), data, out, true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("is corrupt: model.safetensors");
  }

  @Test
  void lostLatestIsRecoveredNotTakenForAFreshRun(@TempDir Path tmp) throws Exception {
    String out = tmp.resolve("run").toString();
    String[] common = {"training.checkpoint_interval=2", "training.keep_checkpoints=0"};
    TrainJob.run(spark, with(common, "training.max_steps=4"), data, out, false);
    Files.delete(Path.of(out, "checkpoints", "latest"));
    // --auto-resume and the pipeline resume exactly when latest() finds a checkpoint.
    assertThat(Checkpoints.latest(out)).endsWith("step-0000004");
    assertThatThrownBy(
            () -> TrainJob.run(spark, with(common, "training.max_steps=6"), data, out, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("pass --resume");
    TrainResult r = TrainJob.run(spark, with(common, "training.max_steps=6"), data, out, true);
    assertThat(r.finalStep()).isEqualTo(6);
    assertThat(r.trainLosses()).hasSize(6);
  }

  @Test
  void runDirectoryIsLockedAndNeverInsideTheData(@TempDir Path tmp) throws Exception {
    Path lock = tmp.resolve(".run.lock");
    // What a train job running on this host leaves next to its run directory.
    Files.writeString(
        lock,
        "{\"job\":\"train\",\"pid\":"
            + ProcessHandle.current().pid()
            + ",\"host\":\""
            + java.net.InetAddress.getLocalHost().getHostName()
            + "\",\"since\":\"now\",\"token\":\"other\"}");
    String run = tmp.resolve("run").toString();
    assertThatThrownBy(() -> Training.run(spark, config("training.max_steps=1"), data, run, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("in use by train")
        .hasMessageContaining(lock.toString());
    assertThat(Path.of(run, "checkpoints")).doesNotExist();

    String inside = Path.of(data, "run").toString();
    assertThatThrownBy(
            () -> Training.run(spark, config("training.max_steps=1"), data, inside, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("lies in the input");
  }

  @Test
  void badInputsFailWithClearMessages(@TempDir Path tmp) {
    String out = tmp.resolve("run").toString();
    assertThatThrownBy(
            () -> TrainJob.run(spark, config("model.vocab_size=50257"), data, out, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("vocab mismatch")
        .hasMessageContaining("vocab_size 32");
    assertThatThrownBy(
            () -> TrainJob.run(spark, config("model.context_length=8"), data, out, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("seq_len 16")
        .hasMessageContaining("exceeds the model context of 8");
    String missing = tmp.resolve("nope").toString();
    assertThatThrownBy(() -> TrainJob.run(spark, config(), missing, out, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> TrainJob.run(spark, config(), data, out, true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("nothing to resume");
  }
}
