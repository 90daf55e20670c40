package dev.sparkllm.jobs;

import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.finetune.ChatTemplate;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.Generator;
import dev.sparkllm.training.model.Gpt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Generate text from a checkpoint (greedy or sampled, with a KV cache).")
final class GenerateCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR",
      description = "A run directory (uses checkpoints/latest) or a checkpoints/step-N directory.")
  String checkpoint;

  @Option(
      names = "--tokenizer",
      paramLabel = "FILE",
      description =
          "tokenizer.json (or the train-tokenizer output directory); default: the one the"
              + " checkpoint carries.")
  String tokenizer;

  @Option(
      names = "--chat",
      description =
          "Frame --prompt as a user turn of the chat template the fine-tuned model was trained"
              + " with (see finetune), and print only the answer.")
  boolean chat;

  @Option(names = "--prompt", required = true)
  String prompt;

  @Option(names = "--max-tokens", defaultValue = "64")
  int maxTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "0 = off.")
  int topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "1.0 = off.")
  double topP;

  @Option(names = "--seed", defaultValue = "0")
  long seed;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    checkSampling();
    String dir = resolveCheckpoint(checkpoint);
    Path tok = tokenizer != null ? localTokenizer(tokenizer) : checkpointTokenizer(dir);
    String input = chat ? new ChatTemplate("<|endoftext|>").generationPrompt(prompt) : prompt;
    try (NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Generator.load(manager, dir);
      String text =
          Generator.generateText(
              model,
              tok.toString(),
              input,
              new Generator.Options(maxTokens, temperature, topK, topP, seed, -1, true));
      System.out.println(chat ? text : prompt + text);
    }
    return 0;
  }

  /** The tokenizer.json a checkpoint carries, as a local file. */
  static Path checkpointTokenizer(String dir) throws java.io.IOException {
    byte[] json = Checkpoints.readAsset(dir, Checkpoints.TOKENIZER);
    if (json == null) {
      throw new SparkLlmException(
          dir
              + " carries no tokenizer.json (a checkpoint from before checkpoints carried their"
              + " tokenizer); pass --tokenizer");
    }
    Path local = Files.createTempFile("tokenizer", ".json");
    Files.write(local, json);
    local.toFile().deleteOnExit();
    return local;
  }

  /** Out-of-range values would otherwise silently mean greedy or no filter. */
  void checkSampling() {
    if (maxTokens < 1) {
      throw new SparkLlmException("--max-tokens must be >= 1, got " + maxTokens);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new SparkLlmException("--temperature must be >= 0 (0 = greedy), got " + temperature);
    }
    if (topK < 0) {
      throw new SparkLlmException("--top-k must be >= 0 (0 = off), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new SparkLlmException("--top-p must be in (0, 1] (1.0 = off), got " + topP);
    }
  }

  static String resolveCheckpoint(String path) {
    if (Storage.exists(Storage.join(path, "model.safetensors"))) {
      return path;
    }
    String latest = Checkpoints.latest(path);
    if (latest == null) {
      throw new SparkLlmException(
          path + " holds neither model.safetensors nor checkpoints/latest; pass a run directory");
    }
    return latest;
  }

  /** The tokenizer as a local file: the Rust tokenizer reads only local paths. */
  static Path localTokenizer(String path) throws java.io.IOException {
    String file =
        Storage.exists(Storage.join(path, "tokenizer.json"))
            ? Storage.join(path, "tokenizer.json")
            : path;
    Path local = Path.of(file);
    if (file.contains("://")) {
      local = Files.createTempFile("tokenizer", ".json");
      Files.write(local, Storage.readBytes(file));
      local.toFile().deleteOnExit();
    } else if (!Files.isRegularFile(local)) {
      throw new SparkLlmException("tokenizer not found: " + path + "; pass tokenizer.json");
    }
    return local;
  }
}
