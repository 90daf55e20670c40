package dev.sparkllm.jobs;

import dev.sparkllm.preprocessing.tokenize.TokenizeJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Encode documents into token-id Parquet shards: packed rows of seq_len+1 ids for"
          + " pretraining, or padded prompt/response rows with a loss mask.",
      "Writes OUT/tokens/split=*/, OUT/manifest.json, OUT/config.yaml."
    })
final class TokenizeCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description = "preprocess output (packed) or JSONL/Parquet with prompt/response (padded).")
  String input;

  @Option(
      names = "--tokenizer",
      required = true,
      paramLabel = "PATH",
      description = "train-tokenizer output directory or a tokenizer.json.")
  String tokenizer;

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Option(names = "--seq-len", description = "tokenize.seq_len.")
  Integer seqLen;

  @Option(names = "--mode", description = "packed or padded (tokenize.mode).")
  String mode;

  @Mixin OverwriteOption overwrite;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    job.prependOverride("tokenize.seq_len", seqLen);
    job.prependOverride("tokenize.mode", mode);
    return job.withSpark(
        (cfg, spark) -> {
          TokenizeJob.Result r =
              TokenizeJob.run(spark, cfg, input, tokenizer, output, overwrite.requested);
          StringBuilder sb = new StringBuilder();
          r.splits().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(v.sequences()));
          System.out.printf(
              "tokenize: %s, seq_len %d, sequences:%s; see %s%n",
              r.mode(), r.seqLen(), sb, r.manifestPath());
          return 0;
        });
  }
}
