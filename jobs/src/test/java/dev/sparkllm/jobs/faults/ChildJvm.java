package dev.sparkllm.jobs.faults;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code bin/spark-llm} in a JVM of its own, so that a test can kill it the way a scheduler, an OOM
 * killer or a power cut would: no shutdown hooks, no finally blocks, files left as they are.
 */
final class ChildJvm {
  final Process process;
  final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code SparkLlm args} with the test's classpath and Spark's --add-opens flags. */
  static ChildJvm start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The flags surefire gave this JVM (Spark's --add-opens and friends), with a smaller heap.
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")
          || a.startsWith("-XX:+IgnoreUnrecognized")
          || a.startsWith("-D")) {
        cmd.add(a);
      }
    }
    cmd.add("-Xmx1g");
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dspark.ui.enabled=false");
    cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    // Surefire's manifest-only jar names every dependency in its Class-Path, so it serves here too.
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.sparkllm.jobs.SparkLlm");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return new ChildJvm(pb.start(), log);
  }

  /** Waits until {@code condition} holds; false when the child exited or time ran out first. */
  boolean awaitWhileAlive(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (!process.isAlive()) {
        return condition.getAsBoolean();
      }
      Thread.sleep(5);
    }
    return false;
  }

  /** SIGKILL, and wait until the process is gone (its pid no longer runs). */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("child " + process.pid() + " did not die");
    }
  }

  /** Waits for a normal end and returns the exit code. */
  int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child did not finish within " + timeout + "; log " + log);
    }
    return process.exitValue();
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
