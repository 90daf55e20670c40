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
    checkExport(run, ckpt, dir.resolve("exported"));
    // The exported directory is a model directory generate reads (no sums, plain files).
    assertThat(correct(dir.resolve("exported").toString(), tokenizer, false)).isEqualTo(after);

    String framed = new ChatTemplate("<|endoftext|>").generationPrompt("what color is sky");
    try (NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Generator.load(manager, ckpt);
      assertThat(g.out.strip())
          .isEqualTo(Generator.generateText(model, tokenizer, framed, Generator.Options.greedy(8)));
    }
  }

  /**
   * A safetensors reader written from the format's specification (8-byte little-endian header
   * length, JSON header, data section), independent of DJL and of our SafetensorsHeader: checks
   * that the tensors tile the data section exactly and returns each F32 tensor's values.
   */
  static Map<String, float[]> readSafetensors(Path file, Map<String, String> metadataOut)
      throws IOException {
    byte[] b = Files.readAllBytes(file);
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int n = (int) buf.getLong(0);
    JsonNode header =
        Json.MAPPER.readTree(new String(b, 8, n, java.nio.charset.StandardCharsets.UTF_8));
    header
        .path("__metadata__")
        .fields()
        .forEachRemaining(e -> metadataOut.put(e.getKey(), e.getValue().asText()));
    Map<String, float[]> out = new java.util.TreeMap<>();
    long covered = 0;
    for (var it = header.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      JsonNode t = e.getValue();
      assertThat(t.get("dtype").asText()).as(e.getKey()).isEqualTo("F32");
      long count = 1;
      for (JsonNode d : t.get("shape")) {
        count *= d.asLong();
      }
      long begin = t.get("data_offsets").get(0).asLong();
      long end = t.get("data_offsets").get(1).asLong();
      assertThat(end - begin).as(e.getKey()).isEqualTo(4 * count);
      covered += end - begin;
      float[] v = new float[(int) count];
      for (int i = 0; i < count; i++) {
        v[i] = buf.getFloat((int) (8 + n + begin + 4L * i));
      }
      out.put(e.getKey(), v);
    }
    assertThat(covered).as("tensors tile the data section").isEqualTo(b.length - 8L - n);
    return out;
  }

  static void checkExport(String run, String ckpt, Path exported) throws Exception {
    CliCapture e = CliCapture.run("export", "--checkpoint", run, "--output", exported.toString());
    assertThat(e.exitCode).as(e.err).isZero();
    JsonNode config = Json.MAPPER.readTree(exported.resolve("config.json").toFile());
    // CharTokenizer: <|endoftext|> is id 0, <|pad|> id 1.
    assertThat(config.get("eos_token_id").asInt()).isZero();
    assertThat(config.get("bos_token_id").asInt()).isZero();
    assertThat(config.get("pad_token_id").asInt()).isEqualTo(1);
    assertThat(config.get("vocab_size").asInt()).isEqualTo(CHARS.length() + 2);
    JsonNode gen = Json.MAPPER.readTree(exported.resolve("generation_config.json").toFile());
    assertThat(gen.get("eos_token_id").asInt()).isZero();
    JsonNode tc = Json.MAPPER.readTree(exported.resolve("tokenizer_config.json").toFile());
    assertThat(tc.get("chat_template").asText()).isEqualTo(ChatTemplate.JINJA);
    assertThat(tc.get("eos_token").asText()).isEqualTo("<|endoftext|>");
    assertThat(tc.get("pad_token").asText()).isEqualTo("<|pad|>");
    assertThat(tc.at("/added_tokens_decoder/1/content").asText()).isEqualTo("<|pad|>");
    JsonNode stm = Json.MAPPER.readTree(exported.resolve("special_tokens_map.json").toFile());
    assertThat(stm.get("eos_token").asText()).isEqualTo("<|endoftext|>");
    assertThat(exported.resolve("tokenizer.json"))
        .hasSameBinaryContentAs(base.resolve("tokenizer.json"));

    Map<String, String> meta = new java.util.HashMap<>();
    Map<String, float[]> tensors = readSafetensors(exported.resolve("model.safetensors"), meta);
    assertThat(meta).containsEntry("format", "pt");
    Map<String, float[]> inCheckpoint =
        readSafetensors(Path.of(ckpt, "model.safetensors"), new java.util.HashMap<>());
    assertThat(tensors.keySet()).contains("wte.weight", "h.0.attn.c_attn.weight");
    for (String name : inCheckpoint.keySet()) {
      assertThat(tensors.get(name)).as(name).containsExactly(inCheckpoint.get(name));
    }
    // Conv1D layout: c_attn is [n_embd, 3 n_embd] as in transformers.
    assertThat(tensors.get("h.0.attn.c_attn.weight")).hasSize(32 * 96);
  }

  static CliCapture finetune(String method, Path jsonl, String run) {
    return CliCapture.run(
        "finetune",
        "--base",
        base.toString(),
        "--data",
        jsonl.toString(),
        "--output",
        run,
        "--method",
        method,
        "--master",
        "local[2]",
        "--set",
        "training.max_steps=20",
        "--set",
        "training.batch_size=8",
        "--set",
        "training.eval_interval=10",
        "--set",
        "training.eval_batches=1",
        "--set",
        "training.threads=1",
        "--set",
        "finetune.validation_fraction=0.2");
  }

  @Test
  void dpoTrainsOnPreferencePairsFromRawJsonl() throws Exception {
    List<String> answers = new ArrayList<>(ANSWERS.values());
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int k = 0;
      for (Map.Entry<String, String> e : ANSWERS.entrySet()) {
        String wrong = answers.get((k++ + 1) % answers.size());
        lines.add(
            "{\"prompt\": \""
                + e.getKey()
                + "?\", \"chosen\": \""
                + e.getValue()
                + "\", \"rejected\": \""
                + wrong
                // Two rounds held out: one full validation batch, so evaluations run.
                + (i >= 4 ? "\", \"split\": \"validation\"}" : "\"}"));
      }
    }
    lines.add("{\"prompt\": \"sky?\", \"chosen\": \"blue\"}");
    Path jsonl = dir.resolve("dpo.jsonl");
    Files.write(jsonl, lines);
    String run = dir.resolve("dpo-run").toString();
    CliCapture c = finetune("dpo", jsonl, run);
    assertThat(c.exitCode).as(c.err).isZero();

    JsonNode stats = Json.MAPPER.readTree(Path.of(run, "prepared", "stats.json").toFile());
    assertThat(stats.at("/rejected/by_reason/missing_field").asLong()).isEqualTo(1);
    // Every kept row became a pair (none lost to truncation), split into train and validation.
    JsonNode pairs = Json.MAPPER.readTree(Path.of(run, "data", "stats.json").toFile());
    assertThat(pairs.at("/train/pairs").asLong() + pairs.at("/validation/pairs").asLong())
        .isEqualTo(ANSWERS.size() * 6L);
    assertThat(pairs.at("/train/dropped").asLong()).isZero();
    List<String> metrics = Files.readAllLines(Path.of(run, "metrics.jsonl"));
    assertThat(metrics).anySatisfy(l -> assertThat(l).contains("\"eval_rewards_accuracy\""));
    assertThat(Checkpoints.latest(run)).isNotNull();
  }

  @Test
  void loraTrainsOnlyAdaptersOnInstructionRows() throws Exception {
    String run = dir.resolve("lora-run").toString();
    CliCapture c = finetune("lora", data(), run);
    assertThat(c.exitCode).as(c.err).isZero();
    String ckpt = Checkpoints.latest(run);
    assertThat(Path.of(ckpt, "adapter_model.safetensors")).exists();
    assertThat(Path.of(ckpt, "adapter_config.json")).exists();
    List<String> metrics = Files.readAllLines(Path.of(run, "metrics.jsonl"));
    assertThat(metrics).anySatisfy(l -> assertThat(l).contains("\"trainable_parameters\""));
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
