package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.LoraCheckpoint;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.model.LoraConfig;
import dev.sparkllm.training.optim.Gradients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code merge} on a Hugging Face style base and a PEFT style adapter directory. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MergeCommandTest {
  static final LoraConfig LORA = new LoraConfig(2, 4, 0.0, List.of("c_attn", "mlp.c_proj"));

  @Test
  void mergeFoldsTheAdaptersIntoTheBase(@TempDir Path dir) throws Exception {
    Path base = Files.createDirectories(dir.resolve("base"));
    Path adapter = Files.createDirectories(dir.resolve("adapter"));
    byte[] expected;
    try (Gradients.Mode off = Gradients.disabled();
        NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(3);
      Gpt gpt = Gpt.create(m, new GptConfig(32, 16, 2, 2, 16, 0.0, 1e-5, 0.02));
      byte[] weights = Gpt2Weights.export(gpt);
      Files.writeString(base.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(base.resolve("model.safetensors"), weights);
      gpt.addLora(m, LORA);
      // Trained adapters have B != 0; random ones stand in for them.
      gpt.loraParameters()
          .values()
          .forEach(
              p ->
                  p.getArray()
                      .set(new NDIndex(":"), m.randomNormal(p.getArray().getShape()).mul(0.1)));
      Files.write(adapter.resolve(LoraCheckpoint.ADAPTER), LoraCheckpoint.adapterWeights(gpt));
      Files.write(
          adapter.resolve(LoraCheckpoint.ADAPTER_CONFIG),
          LoraCheckpoint.adapterConfig(
              LORA, new LoraCheckpoint.Base(base.toString(), Hashing.sha256Hex(weights))));
      try (NDManager s = m.newSubManager()) {
        expected = Gpt2Weights.export(gpt, gpt.mergedWeights(s));
      }
    }
    String out = dir.resolve("merged").toString();
    CliCapture c =
        CliCapture.run(
            "merge", "--base", base.toString(), "--adapter", adapter.toString(), "--output", out);
    assertThat(c.exitCode).as(c.err).isZero();
    assertThat(c.out).contains("merged the adapters of 4 weights");
    try (NDManager m = NDManager.newBaseManager()) {
      NDList got = NDList.decode(m, Files.readAllBytes(Path.of(out, "model.safetensors")));
      NDList want = NDList.decode(m, expected);
      NDList orig = NDList.decode(m, Files.readAllBytes(base.resolve("model.safetensors")));
      for (NDArray w : want) {
        assertThat(got.get(w.getName()).sub(w).abs().max().getFloat())
            .as(w.getName())
            .isLessThan(1e-6f);
      }
      assertThat(
              got.get("h.0.attn.c_attn.weight").contentEquals(orig.get("h.0.attn.c_attn.weight")))
          .isFalse();
      assertThat(
              got.get("h.0.attn.c_proj.weight").contentEquals(orig.get("h.0.attn.c_proj.weight")))
          .isTrue();
    }
    assertThat(Path.of(out, "config.json")).exists();
    assertThat(Files.readString(Path.of(out, "SHA256SUMS"))).contains("  model.safetensors");

    // Another base than the adapter's: a one-line error naming the SHA, exit code 2.
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.copy(Path.of(out, "config.json"), other.resolve("config.json"));
    Files.copy(Path.of(out, "model.safetensors"), other.resolve("model.safetensors"));
    CliCapture bad =
        CliCapture.run(
            "merge",
            "--base",
            other.toString(),
            "--adapter",
            adapter.toString(),
            "--output",
            dir.resolve("bad").toString());
    assertThat(bad.exitCode).isEqualTo(2);
    assertThat(bad.err.strip())
        .startsWith("error: ")
        .contains("adapter was trained on a base with SHA-256")
        .doesNotContain("\n");
  }

  @Test
  void helpListsTheOptions() {
    CliCapture c = CliCapture.run("merge", "--help");
    assertThat(c.exitCode).isZero();
    assertThat(c.out)
        .startsWith("Usage: spark-llm merge")
        .contains("--base", "--adapter", "--output", "--overwrite");
  }
}
