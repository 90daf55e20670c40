package dev.sparkllm.jobs;

import dev.sparkllm.core.SparkLlmException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/spark-llm <command>} and {@code spark-submit --class dev.sparkllm.jobs.SparkLlm}.
 * Every stage is a subcommand; errors the user can fix are printed as one line, without a stack
 * trace (add --verbose for it).
 */
@Command(
    name = "spark-llm",
    mixinStandardHelpOptions = true,
    version = "spark-llm 0.1.0",
    description = "Raw text to a trained, evaluated GPT-style model, as Apache Spark jobs.",
    subcommands = {
      DemoCommand.class,
      PipelineCommand.class,
      PreprocessCommand.class,
      TrainTokenizerCommand.class,
      TokenizeCommand.class,
      TrainCommand.class,
      FinetuneCommand.class,
      GenerateCommand.class,
      MergeCommand.class,
      ExportCommand.class,
      ServeCommand.class,
      EvaluateCommand.class,
      ReportCommand.class,
      BenchmarkCommand.class,
      CommandLine.HelpCommand.class
    })
public final class SparkLlm implements Runnable {

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns the exit code (0 ok, 1 job failed, 2 bad usage or config). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new SparkLlm());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          SparkLlmException user = userError(e);
          PrintWriter err = cmd.getErr();
          boolean verbose = cmd.getParseResult().hasMatchedOption("--verbose");
          if (user != null) {
            err.println("error: " + user.getMessage());
            if (verbose) {
              e.printStackTrace(err);
            }
            err.flush();
            return 2;
          }
          err.println("error: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
          if (verbose) {
            e.printStackTrace(err);
          } else {
            err.println("(run again with --verbose for the stack trace)");
          }
          err.flush();
          return 1;
        });
    return cli.execute(args);
  }

  /** The user-facing cause of a failure, also when Spark wrapped it in a task failure. */
  static SparkLlmException userError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SparkLlmException s) {
        return s;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    String msg = String.valueOf(e.getMessage());
    int i = msg.indexOf(SparkLlmException.class.getName() + ": ");
    if (i >= 0) {
      return new SparkLlmException(
          firstLine(msg.substring(i + SparkLlmException.class.getName().length() + 2)));
    }
    String cluster = ClusterSetup.userMessage(e);
    return cluster == null ? null : new SparkLlmException(cluster, e);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
