package dev.sparkllm.jobs.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.jobs.CliCapture;
import dev.sparkllm.jobs.TinyModelArgs;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.testing.TinyTraining;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} killed with SIGKILL while it writes a checkpoint every step: afterwards {@code
 * checkpoints/latest} names a checkpoint whose sums verify and that is no older than the one seen
 * before the kill, {@code --auto-resume} continues from it to {@code max_steps}, and a damaged
 * checkpoint is refused through the CLI with one line.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KillDuringCheckpointTest {
  static final int SEQ = 16;
  static final int VOCAB = 64;

  @TempDir static Path tmp;
  static String data;

  @BeforeAll
  static void tinyShards() {
    data = tmp.resolve("data").toString();
    TinyTraining.writeRandomShards(data, 64, SEQ, VOCAB, "validation");
  }

  /** train --auto-resume for a model of a few thousand parameters, a checkpoint every step. */
  static String[] train(String run, long maxSteps) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train", "--data", data, "--output", run, "--auto-resume", "--master", "local[1]"));
    args.addAll(TinyModelArgs.of(maxSteps));
    args.addAll(
        List.of("--set", "training.checkpoint_interval=1", "--set", "training.keep_checkpoints=2"));
    return args.toArray(String[]::new);
  }

  @Test
  void killedWhileCheckpointingLeavesAVerifiedLatestThatResumesToMaxSteps() throws Exception {
    Path run = tmp.resolve("run");
    Path ckpts = run.resolve("checkpoints");
    Random rnd = new Random(42);
    long verified = 0;
    int kills = 0;
    for (int trial = 0; trial < 3; trial++) {
      long startedFrom = verified;
      Path log = tmp.resolve("train-" + trial + ".log");
      ChildJvm child = ChildJvm.start(log, train(run.toString(), 1_000_000));
      // A checkpoint newer than the one resumed from: the child is past start-up and in its loop.
      boolean training =
          child.awaitWhileAlive(() -> newestStep(ckpts) > startedFrom, Duration.ofSeconds(90));
      assertThat(training).as("child never wrote a checkpoint:%n%s", child.output()).isTrue();
      if (trial == 0) {
        // Straight into the middle of a write: the temporary step directory exists.
        child.awaitWhileAlive(() -> hasTemporary(ckpts), Duration.ofSeconds(10));
      } else {
        Thread.sleep(rnd.nextInt(400));
      }
      child.kill();
      kills++;

      String latest = Checkpoints.latest(run.toString());
      assertThat(latest).as("latest after kill %d", trial).isNotNull();
      Checkpoints.Loaded c = Checkpoints.load(latest);
      long step = c.state().path("step").asLong();
      assertThat(step)
          .as("latest went backwards after kill %d", trial)
          .isGreaterThanOrEqualTo(verified);
      verified = step;
    }

    long maxSteps = verified + 3;
    CliCapture done = CliCapture.run(train(run.toString(), maxSteps));
    assertThat(done.exitCode).as(done.err).isZero();
    assertThat(done.out).contains("train: step " + maxSteps);
    Checkpoints.Loaded last = Checkpoints.load(Checkpoints.latest(run.toString()));
    assertThat(last.state().path("step").asLong()).isEqualTo(maxSteps);
    // The temporary directories of the killed writers are gone, and so is the stale lock.
    try (Stream<Path> s = Files.list(ckpts)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.contains(".tmp") || n.contains(".old"));
    }
    assertThat(tmp.resolve(".run.lock")).doesNotExist();
    System.out.printf("train: %d kills, resumed each time, finished at step %d%n", kills, maxSteps);

    damagedCheckpointIsOneLineError(run, ckpts);
  }

  /** A flipped byte or a cut-off file in a checkpoint: exit code 2, one line, no stack trace. */
  private void damagedCheckpointIsOneLineError(Path run, Path ckpts) throws IOException {
    Path step = Path.of(Checkpoints.latest(run.toString()));
    Path tokenizer = Files.writeString(tmp.resolve("tokenizer.json"), "{}");

    Path flipped = copy(step, tmp.resolve("flipped"));
    try (RandomAccessFile f =
        new RandomAccessFile(flipped.resolve("model.safetensors").toFile(), "rw")) {
      long at = f.length() - 5;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
    CliCapture g =
        CliCapture.run(
            "generate",
            "--checkpoint",
            flipped.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--prompt",
            "x");
    assertOneLine(g, "model.safetensors");

    Path cut = copy(step, tmp.resolve("cut"));
    try (RandomAccessFile f =
        new RandomAccessFile(cut.resolve("model.safetensors").toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertOneLine(
        CliCapture.run(
            "generate",
            "--checkpoint",
            cut.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--prompt",
            "x"),
        "model.safetensors");

    // The run's own latest checkpoint damaged: resuming refuses it rather than starting over.
    try (RandomAccessFile f =
        new RandomAccessFile(step.resolve("optimizer.safetensors").toFile(), "rw")) {
      f.seek(f.length() - 1);
      int b = f.read();
      f.seek(f.length() - 1);
      f.write(b ^ 1);
    }
    assertOneLine(CliCapture.run(train(run.toString(), 1_000)), "optimizer.safetensors");
  }

  private static void assertOneLine(CliCapture c, String names) {
    assertThat(c.exitCode).as(c.err).isEqualTo(2);
    assertThat(c.err.strip().lines()).as(c.err).hasSize(1);
    assertThat(c.err).startsWith("error: ").contains(names).doesNotContain("\tat ");
  }

  private static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  /** The highest step among complete-looking step directories, 0 when none. */
  private static long newestStep(Path ckpts) {
    try (Stream<Path> s = Files.list(ckpts)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("step-\\d{7,}"))
          .mapToLong(n -> Long.parseLong(n.substring(5)))
          .max()
          .orElse(0);
    } catch (IOException e) {
      return 0;
    }
  }

  private static boolean hasTemporary(Path ckpts) {
    try (Stream<Path> s = Files.list(ckpts)) {
      return s.anyMatch(p -> p.getFileName().toString().startsWith(".step-"));
    } catch (IOException e) {
      return false;
    }
  }
}
