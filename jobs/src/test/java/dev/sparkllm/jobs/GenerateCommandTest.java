package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate} end to end on a tiny random model, to show that each sampling flag reaches the
 * sampler: a flag that were dropped on the way would leave the output of the default (greedy, seed
 * 0) in place and one of these comparisons would fail.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GenerateCommandTest {
  /** Character-level vocabulary of the test tokenizer: ids 2..31 (0, 1 are special tokens). */
  static final String CHARS = " abcdefghijklmnopqrstuvwxyz.,;";

  static final String PROMPT = "the cat";

  @TempDir static Path dir;
  static String model;
  static String tokenizer;

  @BeforeAll
  static void writeModelAndTokenizer() throws IOException {
    Path m = Files.createDirectories(dir.resolve("model"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(5);
      // A wide init so the random model's next-token distributions are neither flat nor one-hot.
      Gpt gpt = Gpt.create(manager, new GptConfig(32, 16, 1, 2, 16, 0.0, 1e-5, 0.3));
      // A Hugging Face style directory: config.json and model.safetensors, read without sums.
      Files.writeString(m.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(m.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    model = m.toString();
    Path tok = dir.resolve("tokenizer.json");
    Files.writeString(tok, tokenizerJson());
    tokenizer = tok.toString();
  }

  static String generate(String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "generate", "--checkpoint", model, "--tokenizer", tokenizer, "--prompt", PROMPT));
    args.addAll(List.of(flags));
    if (!args.contains("--max-tokens")) {
      args.addAll(List.of("--max-tokens", "24"));
    }
    CliCapture c = CliCapture.run(args.toArray(String[]::new));
    assertThat(c.exitCode).as(c.err).isZero();
    String line = c.out.strip();
    assertThat(line).startsWith(PROMPT);
    return line.substring(PROMPT.length());
  }

  @Test
  void samplingFlagsReachTheSampler() {
    String greedy = generate();
    assertThat(generate("--temperature", "0", "--seed", "9")).isEqualTo(greedy);

    String seed1 = generate("--temperature", "1.5", "--seed", "1");
    assertThat(generate("--temperature", "1.5", "--seed", "1")).isEqualTo(seed1);
    assertThat(seed1).isNotEqualTo(greedy);
    assertThat(generate("--temperature", "1.5", "--seed", "2")).isNotEqualTo(seed1);

    // Only the best token kept: greedy whatever the temperature and seed.
    assertThat(generate("--temperature", "1.5", "--seed", "1", "--top-k", "1")).isEqualTo(greedy);
    // A nucleus smaller than any token's mass keeps the best token alone: greedy as well.
    assertThat(generate("--temperature", "1.5", "--seed", "1", "--top-p", "1e-6"))
        .isEqualTo(greedy);
    // Wide enough filters change nothing; narrower ones change the draws of the same seed.
    assertThat(generate("--temperature", "1.5", "--seed", "1", "--top-k", "32", "--top-p", "1.0"))
        .isEqualTo(seed1);
    assertThat(generate("--temperature", "1.5", "--seed", "1", "--top-k", "3")).isNotEqualTo(seed1);
  }

  @Test
  void maxTokensBoundsTheContinuation() {
    String four = generate("--max-tokens", "4");
    assertThat(four.length()).isBetween(1, 4);
    assertThat(generate()).startsWith(four);
  }

  @Test
  void outOfRangeSamplingFlagsAreOneLineErrors() {
    for (String[] bad :
        List.of(
            new String[] {"--temperature", "-0.5"},
            new String[] {"--temperature", "NaN"},
            new String[] {"--top-k", "-1"},
            new String[] {"--top-p", "0"},
            new String[] {"--top-p", "1.5"},
            new String[] {"--max-tokens", "0"})) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "generate", "--checkpoint", model, "--tokenizer", tokenizer, "--prompt", PROMPT));
      args.addAll(List.of(bad));
      CliCapture c = CliCapture.run(args.toArray(String[]::new));
      assertThat(c.exitCode).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(c.err.lines()).hasSize(1);
      assertThat(c.err).startsWith("error: ").contains(bad[0]).doesNotContain("\tat ");
    }
  }

  static String tokenizerJson() {
    return CharTokenizer.json(CHARS);
  }
}
