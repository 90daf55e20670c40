package dev.sparkllm.jobs;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.jobs.finetune.BaseModel;
import dev.sparkllm.jobs.finetune.FinetuneJob;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.TrainResult;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    description = {
      "Fine-tune a model on JSONL data: instruction rows {prompt, response} or chat {messages},"
          + " tokenized with the base model's tokenizer; the loss counts response tokens only."
          + " training.* settings apply as for train (--replicas, --resume, early stopping).",
      "Writes RUN/prepared/ (examples, rejected/, stats.json), RUN/data/ (padded token shards),"
          + " and RUN/checkpoints/, RUN/metrics.jsonl, RUN/config.yaml as train does."
    })
final class FinetuneCommand implements Callable<Integer> {
  @Option(
      names = "--base",
      required = true,
      paramLabel = "DIR",
      description =
          "Model to start from: a run directory (checkpoints/latest), a checkpoint directory, or a"
              + " Hugging Face GPT-2 directory (config.json, model.safetensors, tokenizer.json).")
  String base;

  @Option(
      names = "--data",
      required = true,
      arity = "1..*",
      paramLabel = "PATH",
      description = "JSONL files or directories (local or s3a://).")
  List<String> data;

  @Option(names = "--output", required = true, paramLabel = "RUN", description = "Run directory.")
  String output;

  @Option(
      names = "--method",
      paramLabel = "sft|lora|dpo",
      description = "Fine-tuning method (same as --set finetune.method=NAME).")
  String method;

  @Option(
      names = "--tokenizer",
      paramLabel = "PATH",
      description =
          "tokenizer.json (or a directory holding one); default: the one the base carries.")
  String tokenizer;

  @Option(names = "--resume", description = "Continue from RUN/checkpoints/latest.")
  boolean resume;

  @Option(
      names = "--auto-resume",
      description =
          "Continue from RUN/checkpoints/latest when there is one (reusing RUN/data), else start.")
  boolean autoResume;

  @Option(
      names = "--replicas",
      paramLabel = "N|auto",
      arity = "0..1",
      fallbackValue = "auto",
      description = "Data-parallel replicas, as for train.")
  String replicas;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    if (resume && autoResume) {
      throw new SparkLlmException("give --resume or --auto-resume, not both");
    }
    BaseModel b = BaseModel.resolve(base, tokenizer);
    Config user = job.loadConfig();
    List<String> derived =
        b.overrides(user.getString("tokenize.eos_token"), user.getString("tokenize.pad_token"));
    // Prepended in reverse so they keep their order, all ahead of the user's own --set.
    for (int i = derived.size() - 1; i >= 0; i--) {
      String kv = derived.get(i);
      int eq = kv.indexOf('=');
      job.prependOverride(kv.substring(0, eq), kv.substring(eq + 1));
    }
    job.prependOverride("finetune.method", method);
    job.prependOverride("training.distributed.replicas", TrainCommand.replicaCount(replicas));
    return job.withSpark(
        (cfg, spark) -> {
          boolean fromCheckpoint = resume || (autoResume && Checkpoints.latest(output) != null);
          TrainResult r =
              FinetuneJob.run(spark, cfg, b, data, output, fromCheckpoint, resume || autoResume);
          System.out.printf(
              "finetune: step %d, last train loss %.4f, best val loss %.4f%s; checkpoint %s%n",
              r.finalStep(),
              r.lastTrainLoss(),
              r.bestValLoss(),
              r.stoppedEarly() ? " (stopped early)" : "",
              r.checkpoint());
          return 0;
        });
  }
}
