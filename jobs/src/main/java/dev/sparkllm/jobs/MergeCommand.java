package dev.sparkllm.jobs;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.LoraCheckpoint;
import dev.sparkllm.training.LoraMerge;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description =
        "Fold LoRA adapters into their base model (W + alpha/r * B A) and write a plain model"
            + " directory.")
final class MergeCommand implements Callable<Integer> {
  @Option(
      names = "--base",
      required = true,
      paramLabel = "DIR",
      description =
          "The base model: a run directory (checkpoints/latest), a checkpoints/step-N directory or"
              + " a Hugging Face GPT-2 directory.")
  String base;

  @Option(
      names = "--adapter",
      required = true,
      paramLabel = "DIR",
      description =
          "The adapters: a finetune --method lora run directory (checkpoints/latest), one of its"
              + " checkpoints/step-N directories, or a PEFT adapter directory.")
  String adapter;

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Mixin OverwriteOption overwrite;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() {
    String adapterDir = resolveAdapter(adapter);
    int n =
        LoraMerge.merge(
            GenerateCommand.resolveCheckpoint(base), adapterDir, output, overwrite.requested);
    System.out.println("merged the adapters of " + n + " weights into " + output);
    return 0;
  }

  static String resolveAdapter(String path) {
    if (Storage.exists(Storage.join(path, LoraCheckpoint.ADAPTER_CONFIG))) {
      return path;
    }
    String latest = Checkpoints.latest(path);
    if (latest == null) {
      throw new SparkLlmException(
          path
              + " holds neither adapter_config.json nor checkpoints/latest; pass a finetune"
              + " --method lora run directory");
    }
    return latest;
  }
}
