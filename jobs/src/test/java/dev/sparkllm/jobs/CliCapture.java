package dev.sparkllm.jobs;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process with System.out and System.err captured, as a shell would see them. */
public final class CliCapture {
  public final int exitCode;
  public final String out;
  public final String err;

  private CliCapture(int exitCode, String out, String err) {
    this.exitCode = exitCode;
    this.out = out;
    this.err = err;
  }

  /**
   * Picocli creates its writers lazily from System.out/err, and execute() builds a fresh
   * CommandLine, so swapping the streams around the call captures everything the CLI prints.
   */
  public static CliCapture run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = SparkLlm.execute(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    CliCapture c =
        new CliCapture(
            code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    // Echo so a failing run still shows what the CLI said in the surefire report.
    oldOut.print(c.out);
    oldErr.print(c.err);
    return c;
  }
}
