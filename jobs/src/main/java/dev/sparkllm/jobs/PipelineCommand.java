package dev.sparkllm.jobs;

import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = {
      "Run preprocess → train-tokenizer → tokenize → train → evaluate from one config, each stage"
          + " in its own"
          + " subdirectory of --output.",
      "A stage whose output is complete for the same settings is skipped, so a rerun after a"
          + " failure resumes; --from STAGE reruns that stage and the ones after it."
    })
final class PipelineCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      arity = "1..*",
      paramLabel = "PATH",
      description = "Raw inputs (default: pipeline.input from the config).")
  List<String> inputs = new ArrayList<>();

  @Option(names = "--output", required = true, paramLabel = "DIR")
  String output;

  @Option(names = "--from", paramLabel = "STAGE", description = "Rerun from this stage.")
  String from;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    return job.withSpark(
        (cfg, spark) -> {
          PipelineRunner.Result r =
              PipelineRunner.run(spark, cfg, PipelineRunner.inputs(cfg, inputs), output, from);
          Storage.writeString(Storage.join(output, "summary.json"), Json.write(r.summary()));
          System.out.println("pipeline finished: " + output);
          r.status().forEach((stage, st) -> System.out.printf("  %-16s %s%n", stage, st));
          System.out.println("  summary: " + Storage.join(output, "summary.json"));
          return 0;
        });
  }
}
