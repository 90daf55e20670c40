package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistakes a user makes on the command line end with exit code 2 and one line on stderr that names
 * what to fix, without a stack trace.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliErrorsTest {
  @TempDir Path tmp;
  private String input;
  private String output;

  @BeforeEach
  void writeInput() throws IOException {
    Path in = tmp.resolve("in.jsonl");
    Files.writeString(in, "{\"id\": \"a\", \"text\": \"One small document.\"}\n");
    input = in.toString();
    output = tmp.resolve("out").toString();
  }

  @Test
  void unknownConfigKeyInSet() {
    CliCapture c = preprocess("--set", "preprocess.sed=1");
    assertOneLineUserError(c, "preprocess.sed");
    assertThat(c.err).contains("valid keys here:").contains("seed");
  }

  /** The demo samples from the trained model: a subset of the stages used to end in an NPE. */
  @Test
  void demoWithASubsetOfTheStagesSaysToUsePipeline() {
    CliCapture c =
        CliCapture.run(
            "demo",
            "--output",
            tmp.resolve("demo").toString(),
            "--master",
            "local[1]",
            "--set",
            "pipeline.stages=[preprocess, train-tokenizer]");
    assertOneLineUserError(c, "pipeline.stages");
    assertThat(c.err).contains("use 'pipeline'");
  }

  @Test
  void wrongTypeInSet() {
    CliCapture c = preprocess("--set", "preprocess.seed=abc");
    assertOneLineUserError(c, "preprocess.seed");
    assertThat(c.err).contains("abc");
  }

  @Test
  void setWithoutEquals() {
    assertOneLineUserError(preprocess("--set", "preprocess.seed"), "preprocess.seed");
  }

  @Test
  void missingConfigFile() {
    String missing = tmp.resolve("nope.yaml").toString();
    assertOneLineUserError(preprocess("--config", missing), missing);
  }

  @Test
  void unknownKeyInConfigFile() throws IOException {
    Path yaml = tmp.resolve("my.yaml");
    Files.writeString(yaml, "preprocess:\n  split:\n    trian: 0.5\n");
    CliCapture c = preprocess("--config", yaml.toString());
    assertOneLineUserError(c, "preprocess.split.trian");
    assertThat(c.err).contains(yaml.toString());
  }

  @Test
  void sparkConfNotSparkKey() {
    assertOneLineUserError(preprocess("--conf", "foo=bar"), "--conf 'foo=...'");
  }

  @Test
  void missingInputPath() {
    String missing = tmp.resolve("absent.jsonl").toString();
    CliCapture c =
        CliCapture.run(
            "preprocess", "--input", missing, "--output", output, "--master", "local[2]");
    assertOneLineUserError(c, missing);
    assertThat(Path.of(output)).doesNotExist();
  }

  @Test
  void generateWithoutCheckpoint() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("empty-run"));
    CliCapture c =
        CliCapture.run(
            "generate", "--checkpoint", run.toString(), "--tokenizer", input, "--prompt", "x");
    assertOneLineUserError(c, run.toString());
  }

  @Test
  void missingRequiredOptionIsUsageError() {
    CliCapture c = CliCapture.run("preprocess", "--output", output);
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err).contains("Missing required option: '--input=PATH'");
    assertThat(c.err).doesNotContain("\tat ");
  }

  @Test
  void unknownSubcommandIsUsageError() {
    CliCapture c = CliCapture.run("preproces", "--input", input);
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err).contains("Unmatched argument").contains("'preproces'");
    assertThat(c.err).doesNotContain("\tat ");
  }

  @Test
  void badReplicaCount() {
    CliCapture c =
        CliCapture.run(
            "train", "--data", input, "--output", output, "--replicas", "two", "--master=local[2]");
    assertOneLineUserError(c, "--replicas must be a count >= 0 or auto, got 'two'");
  }

  @Test
  void unknownOptionIsUsageError() {
    CliCapture c = preprocess("--vocab-size", "512");
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err).contains("Unknown option").contains("'--vocab-size'");
  }

  @Test
  void verboseAddsTheStackTrace() {
    CliCapture c = preprocess("--set", "preprocess.sed=1", "--verbose");
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err).startsWith("error: ").contains("preprocess.sed").contains("\tat ");
  }

  private CliCapture preprocess(String... extra) {
    String[] args = new String[6 + extra.length];
    args[0] = "preprocess";
    args[1] = "--input";
    args[2] = input;
    args[3] = "--output";
    args[4] = output;
    args[5] = "--master=local[2]";
    System.arraycopy(extra, 0, args, 6, extra.length);
    return CliCapture.run(args);
  }

  private static void assertOneLineUserError(CliCapture c, String names) {
    assertThat(c.exitCode).isEqualTo(2);
    assertThat(c.err.lines()).hasSize(1);
    assertThat(c.err).startsWith("error: ").contains(names).doesNotContain("\tat ");
  }
}
