package dev.sparkllm.jobs;

import dev.sparkllm.preprocessing.tokenizer.TrainTokenizerJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "train-tokenizer",
    mixinStandardHelpOptions = true,
    description = {
      "Train a tokenizer (byte-level BPE as GPT-2, or char/word) on the train split of"
          + " `preprocess` output.",
      "Writes OUT/tokenizer.json (Hugging Face format), OUT/stats.json, OUT/config.yaml."
    })
final class TrainTokenizerCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "DIR",
      description = "preprocess output.")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Option(names = "--type", description = "bpe, char or word (tokenizer.type).")
  String type;

  @Option(names = "--vocab-size", description = "tokenizer.vocab_size.")
  Integer vocabSize;

  @Option(names = "--min-frequency", description = "tokenizer.min_frequency.")
  Integer minFrequency;

  @Mixin OverwriteOption overwrite;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    job.prependOverride("tokenizer.type", type);
    job.prependOverride("tokenizer.vocab_size", vocabSize);
    job.prependOverride("tokenizer.min_frequency", minFrequency);
    return job.withSpark(
        (cfg, spark) -> {
          TrainTokenizerJob.Result r =
              TrainTokenizerJob.run(spark, cfg, input, output, overwrite.requested);
          System.out.printf(
              "train-tokenizer: %s vocabulary %d (%d merges), %.2f bytes/token on %s; see %s%n",
              r.type(),
              r.vocabSize(),
              r.merges(),
              r.evalBytesPerToken(),
              cfg.getString("tokenizer.eval_split"),
              output);
          return 0;
        });
  }
}
