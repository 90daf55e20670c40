package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.preprocessing.finetune.ChatTemplate;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.Generator;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune --method sft} end to end on local[2]: from a Hugging Face style base directory
 * (random tiny weights, a character tokenizer) and a JSONL file with good and bad rows, to a
 * checkpoint that answers the trained questions where the base does not, and that carries its
 * tokenizer and chat template so {@code generate} needs no {@code --tokenizer}.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class FinetuneCommandTest {
  static final String CHARS = " abcdefghijklmnopqrstuvwxyz?.#:\n";
  static final Map<String, String> ANSWERS =
      Map.of("sky", "blue", "grass", "green", "snow", "white", "coal", "black");

  @TempDir static Path dir;
  static Path base;

  @BeforeAll
  static void writeBase() throws IOException {
    base = Files.createDirectories(dir.resolve("base"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(3);
      Gpt gpt = Gpt.create(manager, new GptConfig(CHARS.length() + 2, 48, 1, 2, 32, 0, 1e-5, 0.02));
      Files.writeString(base.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(base.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    Files.writeString(base.resolve("tokenizer.json"), CharTokenizer.json(CHARS));
  }

  static Path data() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ANSWERS.forEach(
          (q, a) -> lines.add("{\"prompt\": \"" + q + "?\", \"response\": \"" + a + "\"}"));
      // The same facts as chat rows, rendered through the template.
      ANSWERS.forEach(
          (q, a) ->
              lines.add(
                  "{\"messages\": [{\"role\": \"user\", \"content\": \"what color is "
                      + q
                      + "\"}, {\"role\": \"assistant\", \"content\": \""
                      + a
                      + "\"}]}"));
    }
    lines.add("{\"prompt\": \"broken");
    lines.add("{\"prompt\": \"sky?\"}");
    lines.add("{\"prompt\": \"sky?\", \"response\": \"\"}");
    lines.add("{\"prompt\": \"" + "a".repeat(60) + "\", \"response\": \"x\"}");
    Path f = dir.resolve("sft.jsonl");
    Files.write(f, lines);
    return f;
  }

  /** How many of the trained questions a model answers exactly (greedy). */
  static int correct(String modelDir, String tokenizer, boolean chat) {
    int n = 0;
    try (NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Generator.load(manager, modelDir);
      for (Map.Entry<String, String> e : ANSWERS.entrySet()) {
        String prompt =
            chat
                ? new ChatTemplate("<|endoftext|>").generationPrompt("what color is " + e.getKey())
                : e.getKey() + "?";
        String out = Generator.generateText(model, tokenizer, prompt, Generator.Options.greedy(8));
        if (out.equals(e.getValue())) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void sftTeachesTheAnswersFromRawJsonl() throws Exception {
    Path jsonl = data();
    String run = dir.resolve("run").toString();
    CliCapture c =
        CliCapture.run(
            "finetune",
            "--base",
            base.toString(),
            "--data",
            jsonl.toString(),
            "--output",
            run,
            "--method",
            "sft",
            "--master",
            "local[2]",
            "--set",
            "training.max_steps=120",
            "--set",
            "training.batch_size=8",
            "--set",
            "training.learning_rate=1.0e-2",
            "--set",
            "training.min_lr=1.0e-3",
            "--set",
            "training.warmup_steps=5",
            "--set",
            "training.weight_decay=0.0",
            "--set",
            "training.eval_interval=40",
            "--set",
            "training.eval_batches=1",
            "--set",
            "training.threads=1",
            "--set",
            "finetune.validation_fraction=0.1");
    assertThat(c.exitCode).as(c.err).isZero();
    assertThat(c.out).contains("52 rows read, 48 kept, 4 rejected");

    JsonNode stats = Json.MAPPER.readTree(Path.of(run, "prepared", "stats.json").toFile());
    assertThat(stats.get("reconciled").asBoolean()).isTrue();
    assertThat(stats.at("/rejected/by_reason/malformed_json").asLong()).isEqualTo(1);
    assertThat(stats.at("/rejected/by_reason/missing_field").asLong()).isEqualTo(1);
    assertThat(stats.at("/rejected/by_reason/empty_response").asLong()).isEqualTo(1);
    assertThat(stats.at("/rejected/by_reason/prompt_too_long").asLong()).isEqualTo(1);
    JsonNode manifest = Json.MAPPER.readTree(Path.of(run, "data", "manifest.json").toFile());
    assertThat(manifest.at("/mode").asText()).isEqualTo("padded");

    String ckpt = Checkpoints.latest(run);
    // The checkpoint carries the base's tokenizer and the chat template, both in SHA256SUMS.
    String sums = Files.readString(Path.of(ckpt, "SHA256SUMS"));
    byte[] tok = Files.readAllBytes(base.resolve("tokenizer.json"));
    assertThat(sums).contains(Hashing.sha256Hex(tok) + "  tokenizer.json");
    assertThat(Files.readString(Path.of(ckpt, ChatTemplate.FILE))).isEqualTo(ChatTemplate.JINJA);
    assertThat(sums).contains("  " + ChatTemplate.FILE);

    String tokenizer = base.resolve("tokenizer.json").toString();
    int before = correct(base.toString(), tokenizer, false);
    int after = correct(ckpt, tokenizer, false);
    int afterChat = correct(ckpt, tokenizer, true);
    assertThat(before).as("base model").isZero();
    assertThat(after).as("fine-tuned, prompt/response form").isGreaterThanOrEqualTo(3);
    assertThat(afterChat).as("fine-tuned, chat form").isGreaterThanOrEqualTo(3);

    // generate finds the tokenizer in the checkpoint and frames --chat prompts with the template.
    CliCapture g =
        CliCapture.run(
            "generate",
            "--checkpoint",
            run,
            "--prompt",
            "what color is sky",
            "--chat",
            "--max-tokens",
            "8");
    assertThat(g.exitCode).as(g.err).isZero();
    String framed = new ChatTemplate("<|endoftext|>").generationPrompt("what color is sky");
    try (NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Generator.load(manager, ckpt);
      assertThat(g.out.strip())
          .isEqualTo(Generator.generateText(model, tokenizer, framed, Generator.Options.greedy(8)));
    }
  }

  @Test
  void anUnknownMethodIsAOneLineError() throws Exception {
    CliCapture c =
        CliCapture.run(
            "finetune",
            "--base",
            base.toString(),
            "--data",
            data().toString(),
            "--output",
            dir.resolve("bad").toString(),
            "--method",
            "rlhf",
            "--master",
            "local[1]");
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err).contains("finetune.method (--method) must be one of [sft, lora, dpo]");
  }
}
