package dev.sparkllm.serving;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.testing.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tiny random models in Hugging Face layout and a character tokenizer, for server tests. */
final class TestModels {
  static final String CHARS = " abcdefghijklmnopqrstuvwxyz.,;";

  private TestModels() {}

  static Path model(Path dir, GptConfig config, int seed) throws IOException {
    Files.createDirectories(dir);
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(seed);
      Gpt gpt = Gpt.create(manager, config);
      Files.writeString(dir.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(dir.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    return dir;
  }

  static Path tokenizer(Path dir) throws IOException {
    Path tok = dir.resolve("tokenizer.json");
    Files.writeString(tok, CharTokenizer.json(CHARS));
    return tok;
  }

  static LlmServer start(
      Path model, Path tokenizer, Map<String, String> env, List<String> overrides) {
    List<String> o = new ArrayList<>(List.of("serve.port=0"));
    o.addAll(overrides);
    Config cfg = Config.load(null, o);
    return LlmServer.start(ServeSettings.from(cfg), cfg, model.toString(), tokenizer, env);
  }
}
