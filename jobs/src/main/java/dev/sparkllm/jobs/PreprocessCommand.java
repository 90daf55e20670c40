package dev.sparkllm.jobs;

import dev.sparkllm.preprocessing.PreprocessJob;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "preprocess",
    mixinStandardHelpOptions = true,
    description = {
      "Clean, filter, anonymize, deduplicate and split raw corpora into Parquet.",
      "Writes OUT/docs/split={train,validation,test}, OUT/rejected, OUT/stats.json,"
          + " OUT/config.yaml."
    })
final class PreprocessCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      arity = "1..*",
      paramLabel = "PATH",
      description = "Files, directories or globs (.txt/.jsonl/.parquet, optionally .gz/.bz2/.zst).")
  List<String> inputs;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Output directory.")
  String output;

  @Mixin OverwriteOption overwrite;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          PreprocessJob.Result r =
              PreprocessJob.run(spark, cfg, inputs, output, overwrite.requested);
          System.out.printf(
              "preprocess: %d documents in, %d kept, %d rejected; see %s/stats.json%n",
              r.input(), r.kept(), r.rejected(), output);
          return 0;
        });
  }
}
