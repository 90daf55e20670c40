package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sparkllm.training.testing.TinyTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --master local-cluster[...]} through the CLI's own entry point, from a JVM that exported
 * nothing for Spark (surefire sets only SPARK_HOME, which decides where executor logs go): executor
 * JVMs start for any command, and when they cannot start or a barrier stage cannot get its slots
 * the command fails within a minute with a line saying what to do instead of waiting ten.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LocalClusterCliTest {
  static final int SEQ = 16;
  static final int VOCAB = 64;

  @TempDir static Path tmp;
  static String data;

  @BeforeAll
  static void tinyData() {
    data = tmp.resolve("data").toString();
    TinyTraining.writeRandomShards(data, 32, SEQ, VOCAB, "val");
  }

  /** train's arguments for a model of a few thousand parameters and two steps. */
  private static List<String> train(String output, String master, int replicas) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--data",
                data,
                "--output",
                output,
                "--master",
                master,
                "--replicas",
                String.valueOf(replicas)));
    args.addAll(TinyModelArgs.of(2));
    return args;
  }

  @Test
  void trainRunsItsReplicasInTwoExecutorJvms() {
    String run = tmp.resolve("run").toString();
    CliCapture c =
        assertTimeoutPreemptively(
            Duration.ofMinutes(5),
            () -> CliCapture.run(train(run, "local-cluster[2,1,1024]", 2).toArray(String[]::new)));
    assertThat(c.exitCode).as(c.err).isZero();
    assertThat(c.out).contains("train: step 2");
    assertThat(Files.exists(Path.of(run, "checkpoints", "latest"))).isTrue();
  }

  @Test
  void trainAveragesOverTheRingBetweenExecutorJvms() throws Exception {
    String run = tmp.resolve("ring").toString();
    List<String> args = train(run, "local-cluster[2,1,1024]", 2);
    args.addAll(
        List.of(
            "--set", "training.distributed.transport=ring", "--set", "training.log_interval=1"));
    CliCapture c =
        assertTimeoutPreemptively(
            Duration.ofMinutes(5), () -> CliCapture.run(args.toArray(String[]::new)));
    assertThat(c.exitCode).as(c.err).isZero();
    assertThat(c.out).contains("train: step 2");
    // The replicas' gradients went round the ring: ring bytes, none to the driver at step 2 (the
    // checksum of step 0 is in step 1's line).
    assertThat(Files.readAllLines(Path.of(run, "metrics.jsonl")).get(1))
        .contains("\"transport\":\"ring\"")
        .contains("\"driver_bytes_sent\":0,")
        .doesNotContain("\"bytes_sent\":0,");
  }

  @Test
  void barrierStageWithoutEnoughSlotsFailsWithinAMinuteSayingWhatToDo() {
    // One 1-core worker, yet Spark reports defaultParallelism 2 (at least 2 on a cluster master),
    // so train's own slot check passes and the barrier stage waits for a second slot.
    long start = System.nanoTime();
    CliCapture c =
        assertTimeoutPreemptively(
            Duration.ofSeconds(90),
            () ->
                CliCapture.run(
                    train(tmp.resolve("starved").toString(), "local-cluster[1,1,1024]", 2)
                        .toArray(String[]::new)));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err.strip().lines().toList())
        .as("one line")
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("needs 2 concurrent task slots")
        .contains("has only 1")
        .contains("lower --replicas");
    System.out.printf("barrier slot check gave up after %.0f s%n", seconds);
  }

  @Test
  void executorsThatCannotStartFailTheCommandWithinAMinute() {
    List<String> args = train(tmp.resolve("no-executors").toString(), "local-cluster[1,1,1024]", 1);
    // The executor JVM cannot find its main class, as when nothing set up its classpath.
    args.addAll(List.of("--conf", "spark.executor.extraClassPath=/nonexistent"));
    CliCapture c =
        assertTimeoutPreemptively(
            Duration.ofSeconds(90), () -> CliCapture.run(args.toArray(String[]::new)));
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err)
        .contains("0 of 1 executors started")
        .contains("/stderr")
        .doesNotContain("Exception");
  }
}
