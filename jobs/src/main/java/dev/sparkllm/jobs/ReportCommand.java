package dev.sparkllm.jobs;

import dev.sparkllm.evaluation.ReportWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Render training curves (loss, validation loss, learning rate) of a run, also while it"
            + " is still training, into a self-contained report.html.")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run directory.")
  String run;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Where report.html goes (default: the run directory).")
  String output;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() {
    String page = ReportWriter.renderRun(run, output == null ? run : output);
    System.out.println("report: " + page);
    return 0;
  }
}
