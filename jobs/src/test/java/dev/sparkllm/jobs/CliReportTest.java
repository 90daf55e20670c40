package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliReportTest {
  @Test
  void reportRendersCurvesOfARunInProgress(@TempDir Path run) throws Exception {
    // A run still training: no checkpoint yet, a val loss only on some lines, a torn last line.
    Files.writeString(
        run.resolve("metrics.jsonl"),
        "{\"step\":10,\"train_loss\":3.2,\"lr\":0.001}\n"
            + "{\"step\":20,\"train_loss\":2.5,\"val_loss\":2.6,\"lr\":0.002}\n"
            + "{\"step\":30,\"train_lo");
    Path out = run.resolve("html");
    CliCapture c = CliCapture.run("report", "--run", run.toString(), "--output", out.toString());
    assertThat(c.exitCode).isZero();
    assertThat(c.out).contains("report.html");
    String html = Files.readString(out.resolve("report.html"));
    assertThat(html).contains("best val loss</th><td>2.6000");
    assertThat(html.split("data:image/png;base64,").length - 1).isEqualTo(2);
  }

  @Test
  void reportOfAMissingRunIsAOneLineError(@TempDir Path tmp) {
    CliCapture c = CliCapture.run("report", "--run", tmp.resolve("nope").toString());
    assertThat(c.exitCode).isNotZero();
    assertThat(c.err).contains("metrics.jsonl does not exist");
  }

  @Test
  void evaluateWithoutACheckpointIsAOneLineError(@TempDir Path tmp) {
    CliCapture c =
        CliCapture.run(
            "evaluate",
            "--checkpoint",
            tmp.resolve("no-run").toString(),
            "--data",
            tmp.resolve("data").toString(),
            "--output",
            tmp.resolve("out").toString(),
            "--master",
            "local[1]");
    assertThat(c.exitCode).isNotZero();
    assertThat(c.err).contains("is neither a checkpoint directory").doesNotContain("\tat ");
  }
}
