package dev.sparkllm.jobs;

import dev.sparkllm.jobs.finetune.GenreSets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "genre-sets",
    mixinStandardHelpOptions = true,
    description = {
      "Build the Brown genre task as fine-tuning data from passages the pretraining never saw"
          + " (the preprocess output's validation documents for training, test documents held"
          + " out): SFT and preference JSONL for finetune, a classification task for evaluate.",
      "Writes OUT/sft-train.jsonl, OUT/sft-heldout.jsonl, OUT/preference-train.jsonl,"
          + " OUT/genre-heldout-task.jsonl."
    })
final class GenreSetsCommand implements Callable<Integer> {
  @Option(
      names = "--corpus",
      paramLabel = "FILE",
      description = "JSONL with id and category (default: the bundled Brown corpus).")
  String corpus;

  @Option(
      names = "--preprocessed",
      required = true,
      paramLabel = "DIR",
      description = "preprocess output of that corpus (its split decides what is held out).")
  String preprocessed;

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Option(names = "--per-doc", defaultValue = "8", description = "Excerpts per document.")
  int perDoc;

  @Option(names = "--seed", defaultValue = "42", description = "Picks the rejected genres.")
  long seed;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    String in = corpus != null ? corpus : Home.brownCorpus().toString();
    return job.withSpark(
        (cfg, spark) -> {
          Map<String, Integer> n = GenreSets.write(spark, in, preprocessed, output, perDoc, seed);
          System.out.println("genre-sets: " + n + " in " + output);
          return 0;
        });
  }
}
