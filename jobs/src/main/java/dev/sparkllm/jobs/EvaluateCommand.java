package dev.sparkllm.jobs;

import dev.sparkllm.evaluation.EvaluateJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a checkpoint: cross-entropy, perplexity and next-token accuracy on the test"
          + " split, plus generation (BLEU, ROUGE) and classification (accuracy, macro-F1) tasks.",
      "Writes OUT/report.json, OUT/report.html, OUT/samples.jsonl and OUT/samples.csv."
    })
final class EvaluateCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR",
      description = "A run directory (uses checkpoints/latest) or a checkpoints/step-N directory.")
  String checkpoint;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "tokenize output.")
  String data;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Report dir.")
  String output;

  @Option(
      names = "--tasks",
      paramLabel = "FILE",
      arity = "1..*",
      description =
          "Task JSONL files (repeatable): {prompt, reference|references} for generation,"
              + " {prompt, choices, answer} for classification.")
  List<String> tasks = new ArrayList<>();

  @Mixin OverwriteOption overwrite;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          EvaluateJob.EvaluateResult r =
              EvaluateJob.run(spark, cfg, checkpoint, data, output, tasks, overwrite.requested);
          System.out.printf(
              "evaluate: cross-entropy %.4f, perplexity %.3f, next-token accuracy %.4f"
                  + " (context %d, %d tokens)%n",
              r.crossEntropy(),
              r.perplexity(),
              r.nextTokenAccuracy(),
              r.contextLength(),
              r.tokens());
          r.warnings().forEach(w -> System.out.println("warning: " + w));
          System.out.println("report: " + output + "/report.html");
          return 0;
        });
  }
}
