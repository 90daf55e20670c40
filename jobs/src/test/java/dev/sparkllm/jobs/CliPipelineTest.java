package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain as a user runs it (preprocess → train-tokenizer → tokenize → train → generate),
 * each command with its own SparkSession, on a slice of the bundled Brown corpus.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CliPipelineTest {
  private static final int DOCS = 30;

  @TempDir Path tmp;

  @Test
  void rawJsonlToGeneratedText() throws IOException {
    Path input = tmp.resolve("brown-slice.jsonl");
    Files.write(input, BrownCorpus.firstLines(DOCS));
    String pre = tmp.resolve("pre").toString();
    String tok = tmp.resolve("tok").toString();
    String data = tmp.resolve("data").toString();
    String run = tmp.resolve("run").toString();

    assertThat(
            cli(
                "preprocess",
                "--input",
                input.toString(),
                "--output",
                pre,
                "--set",
                "preprocess.split.train=0.8",
                "--set",
                "preprocess.split.validation=0.1",
                "--set",
                "preprocess.split.test=0.1"))
        .isZero();
    assertThat(parquetFiles(Path.of(pre, "docs", "split=train"))).isNotEmpty();
    JsonNode stats = Json.MAPPER.readTree(Path.of(pre, "stats.json").toFile());
    assertThat(stats.get("reconciled").asBoolean()).isTrue();
    assertThat(stats.at("/output/kept").asLong() + stats.at("/output/rejected").asLong())
        .isEqualTo(DOCS);

    assertThat(cli("train-tokenizer", "--input", pre, "--output", tok, "--vocab-size", "512"))
        .isZero();
    assertThat(Path.of(tok, "tokenizer.json")).isRegularFile();

    assertThat(
            cli(
                "tokenize",
                "--input",
                pre,
                "--tokenizer",
                tok,
                "--output",
                data,
                "--seq-len",
                "32"))
        .isZero();
    JsonNode manifest = Json.MAPPER.readTree(Path.of(data, "manifest.json").toFile());
    assertThat(manifest.get("vocab_size").asInt()).isEqualTo(512);

    assertThat(
            cli(
                "train",
                "--data",
                data,
                "--output",
                run,
                "--preset",
                "tiny",
                "--set",
                "training.max_steps=20",
                "--set",
                "training.eval_interval=10",
                "--set",
                "training.batch_size=4",
                "--set",
                "training.threads=1"))
        .isZero();
    assertThat(Path.of(run, "checkpoints", "latest")).exists();
    List<String> metrics = Files.readAllLines(Path.of(run, "metrics.jsonl"));
    assertThat(metrics).anySatisfy(l -> assertThat(l).contains("\"val_loss\""));

    String dist = run + "-replicas";
    assertThat(trainReplicasAutoResume(data, dist, 2, "--replicas", "auto")).isZero();
    // auto: one replica per task slot of local[2]; --auto-resume on a new run starts it.
    assertThat(Files.readAllLines(Path.of(dist, "metrics.jsonl")))
        .last()
        .satisfies(l -> assertThat(l).contains("\"replicas\":2").contains("\"comm_ms\""));
    // The same command again, as a scheduler retries it, continues the run instead of refusing
    // (with the bare flag, which means auto too).
    assertThat(trainReplicasAutoResume(data, dist, 4, "--replicas")).isZero();
    assertThat(Files.readString(Path.of(dist, "checkpoints", "latest")).trim())
        .isEqualTo("step-0000004");

    CliCapture gen =
        CliCapture.run(
            "generate",
            "--checkpoint",
            run,
            "--tokenizer",
            tok,
            "--prompt",
            "The jury",
            "--max-tokens",
            "8");
    assertThat(gen.exitCode).isZero();
    // The command prints prompt + continuation; 8 new tokens make it strictly longer.
    String line = gen.out.strip();
    assertThat(line).startsWith("The jury");
    assertThat(line.length()).isGreaterThan("The jury".length());
  }

  /** Runs one Spark command the way a user would, on a 2-thread local master. */
  /** train --auto-resume with the given --replicas option, as a scheduler would (re)submit it. */
  private static int trainReplicasAutoResume(
      String data, String run, int maxSteps, String... replicas) {
    List<String> args =
        new ArrayList<>(List.of("train", "--data", data, "--output", run, "--preset", "tiny"));
    args.addAll(List.of(replicas));
    args.addAll(
        List.of(
            "--auto-resume",
            "--set",
            "training.max_steps=" + maxSteps,
            "--set",
            "training.lr_decay_steps=4",
            "--set",
            "training.batch_size=2",
            "--set",
            "training.threads=1"));
    return cli(args.toArray(String[]::new));
  }

  private static int cli(String... args) {
    String[] withMaster = java.util.Arrays.copyOf(args, args.length + 2);
    withMaster[args.length] = "--master";
    withMaster[args.length + 1] = "local[2]";
    return SparkLlm.execute(withMaster);
  }

  private static List<Path> parquetFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
  }
}
