package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.testing.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve}'s refusals are one-line errors before anything listens. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServeCommandTest {
  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void writeModel() throws Exception {
    model = Files.createDirectories(dir.resolve("model"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(5);
      Gpt gpt = Gpt.create(manager, new GptConfig(32, 16, 1, 2, 16, 0.0, 1e-5, 0.3));
      Files.writeString(model.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(model.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
  }

  @Test
  void aCheckpointWithoutTokenizerNeedsTheFlag() {
    CliCapture c = CliCapture.run("serve", "--checkpoint", model.toString());
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err.lines()).hasSize(1);
    assertThat(c.err).contains("has no tokenizer.json").contains("--tokenizer");
  }

  @Test
  void itRefusesToListenBeyondLoopbackWithoutKeys() throws Exception {
    // The tokenizer inside the checkpoint directory is picked up without --tokenizer.
    Path withTok = Files.createDirectories(dir.resolve("with-tokenizer"));
    for (String f : new String[] {"config.json", "model.safetensors"}) {
      Files.copy(model.resolve(f), withTok.resolve(f));
    }
    Files.writeString(withTok.resolve("tokenizer.json"), CharTokenizer.json(" abc"));
    CliCapture c =
        CliCapture.run(
            "serve",
            "--checkpoint",
            withTok.toString(),
            "--host",
            "0.0.0.0",
            "--set",
            "serve.api_keys_env=SPARK_LLM_TEST_NO_SUCH_VARIABLE");
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err.lines()).hasSize(1);
    assertThat(c.err).contains("refusing to listen on 0.0.0.0 without API keys");
  }
}
