package dev.sparkllm.jobs;

import picocli.CommandLine.Option;

/** {@code --overwrite} of the commands whose output is a directory they replace as a whole. */
final class OverwriteOption {
  @Option(
      names = "--overwrite",
      description = "Replace an output directory spark-llm wrote, once this job succeeds.")
  boolean requested;
}
