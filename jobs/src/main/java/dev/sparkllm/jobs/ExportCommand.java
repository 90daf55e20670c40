package dev.sparkllm.jobs;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import dev.sparkllm.training.HfExport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a checkpoint as a Hugging Face GPT-2 model directory: config.json (with bos/eos/pad"
          + " token ids), generation_config.json, model.safetensors, tokenizer.json,"
          + " tokenizer_config.json (with the chat template after chat fine-tuning) and"
          + " special_tokens_map.json."
    })
final class ExportCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR",
      description = "A run directory (uses checkpoints/latest) or a checkpoints/step-N directory.")
  String checkpoint;

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Option(
      names = "--tokenizer",
      paramLabel = "PATH",
      description = "tokenizer.json (or its directory); default: the one the checkpoint carries.")
  String tokenizer;

  @Mixin OverwriteOption overwrite;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML config; tokenize.eos_token and tokenize.pad_token name the specials.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key.")
  java.util.List<String> overrides = new java.util.ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() {
    Config cfg = Config.load(config, overrides);
    String dir = GenerateCommand.resolveCheckpoint(checkpoint);
    String tok = tokenizer == null ? null : Storage.readString(TokenEncoder.resolve(tokenizer));
    HfExport.Specials s =
        HfExport.write(
            dir,
            tok,
            cfg.getString("tokenize.eos_token"),
            cfg.getString("tokenize.pad_token"),
            output,
            overwrite.requested);
    System.out.printf(
        "export: %s → %s (eos %s = %d, pad %s = %d)%n",
        dir, output, s.eos(), s.eosId(), s.pad(), s.padId());
    return 0;
  }
}
