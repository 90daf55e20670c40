package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A short command with a deadline; its output, or a one-line error naming it. */
final class Cmd {
  private Cmd() {}

  static String run(List<String> command, long seconds, boolean mayFail) {
    Path log = null;
    try {
      // Output goes to a file, so a command that hangs cannot block us on a pipe past the
      // deadline.
      log = Files.createTempFile("sllm-cmd-", ".out");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      p.getOutputStream().close();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new SparkLlmException(
            "`" + String.join(" ", command) + "` did not finish within " + seconds + " s");
      }
      byte[] out = Files.readAllBytes(log);
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0 && !mayFail) {
        throw new SparkLlmException(
            "`"
                + String.join(" ", command)
                + "` failed (exit "
                + p.exitValue()
                + "): "
                + text.trim().replace('\n', ' '));
      }
      return text;
    } catch (IOException e) {
      throw new SparkLlmException("cannot run `" + String.join(" ", command) + "`: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SparkLlmException("interrupted running `" + String.join(" ", command) + "`", e);
    } finally {
      if (log != null) {
        log.toFile().delete();
      }
    }
  }
}
