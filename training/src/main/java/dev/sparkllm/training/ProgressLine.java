package dev.sparkllm.training;

import java.io.Console;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The writer's progress: a redrawn bar on a terminal, a log line otherwise. */
final class ProgressLine {
  private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);
  private static final int WIDTH = 30;

  private final Console console = System.console();
  private final long maxSteps;

  ProgressLine(long maxSteps) {
    this.maxSteps = maxSteps;
  }

  void show(long step, Trainer.StepResult r, Double val, double tokensPerSecond) {
    String line =
        String.format(
            "step %d/%d  loss %.4f%s  lr %.2e  |g| %.3f  %.0f tok/s",
            step,
            maxSteps,
            r.loss(),
            val == null ? "" : String.format("  val %.4f", val),
            r.lr(),
            r.gradNorm(),
            tokensPerSecond);
    if (console != null) {
      int done = (int) (WIDTH * step / maxSteps);
      console.printf("\r[%s%s] %s", "=".repeat(done), " ".repeat(WIDTH - done), line);
      console.flush();
    } else {
      LOG.info(line);
    }
  }

  /** Ends the bar's line. */
  void finish() {
    if (console != null) {
      console.printf("%n");
    }
  }
}
