package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pipeline} and {@code demo} from the CLI entry point on 30 Brown texts with a tiny model:
 * pipeline.input, pipeline.tasks and pipeline.stages from the config, a training stage resumed
 * after an interruption, and the demo's rerun and --fresh.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CliPipelineStagesTest {
  @TempDir Path tmp;

  /** Small enough for seconds per run; the pipeline's own keys come on top. */
  private static final List<String> TINY =
      List.of(
          "preprocess.split.train=0.8",
          "preprocess.split.validation=0.1",
          "preprocess.split.test=0.1",
          "tokenizer.vocab_size=300",
          "tokenize.seq_len=16",
          "model.preset=tiny",
          "model.context_length=16",
          "training.max_steps=4",
          "training.eval_interval=2",
          "training.eval_batches=2",
          "training.checkpoint_interval=1",
          "training.keep_checkpoints=0",
          "training.batch_size=2",
          "training.threads=1");

  private static CliCapture cli(List<String> settings, String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    for (String s : settings) {
      all.add("--set");
      all.add(s);
    }
    all.addAll(List.of("--master", "local[2]"));
    return CliCapture.run(all.toArray(new String[0]));
  }

  private static List<String> with(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(Arrays.asList(more));
    return all;
  }

  @Test
  void pipelineFromConfigRunsItsStagesTasksAndResumesAnInterruptedTraining() throws Exception {
    Path input = tmp.resolve("slice.jsonl");
    Files.write(input, BrownCorpus.firstLines(30));
    Path task = tmp.resolve("continue.jsonl");
    Files.writeString(
        task,
        "{\"prompt\": \"The jury said\", \"reference\": \"it did not\"}\n"
            + "{\"prompt\": \"In the morning\", \"reference\": \"the sun rose\"}\n");
    String out = tmp.resolve("p").toString();
    List<String> settings =
        with(TINY, "pipeline.input=[" + input + "]", "pipeline.tasks=[" + task + "]");

    // Without --input and without pipeline.input there is nothing to run.
    CliCapture none = cli(TINY, "pipeline", "--output", out);
    assertThat(none.exitCode).isNotZero();
    assertThat(none.err).contains("no pipeline input");

    // A prefix of the stages stops early; a stage list that skips one is refused.
    CliCapture bad =
        cli(with(settings, "pipeline.stages=[preprocess, tokenize]"), "pipeline", "--output", out);
    assertThat(bad.exitCode).isNotZero();
    assertThat(bad.err).contains("'pipeline.stages' must be a prefix");
    CliCapture two =
        cli(
            with(settings, "pipeline.stages=[preprocess, train-tokenizer]"),
            "pipeline",
            "--output",
            out);
    assertThat(two.exitCode).isZero();
    assertThat(Path.of(out, "tokenizer", PipelineRunner.MARKER)).exists();
    assertThat(Path.of(out, "tokens")).doesNotExist();
    assertThat(Json.MAPPER.readTree(Path.of(out, "summary.json").toFile()).fieldNames())
        .toIterable()
        .containsExactly("preprocess", "train-tokenizer");

    // The full list continues after them, evaluating the configured task file.
    CliCapture all = cli(settings, "pipeline", "--output", out);
    assertThat(all.exitCode).isZero();
    assertThat(all.out)
        .containsPattern("preprocess +skipped")
        .containsPattern("train-tokenizer +skipped")
        .containsPattern("tokenize +ran")
        .containsPattern("train +ran")
        .containsPattern("evaluate +ran");
    JsonNode report = Json.MAPPER.readTree(Path.of(out, "eval", "report.json").toFile());
    assertThat(report.at("/tasks/0/file").asText()).isEqualTo(task.toString());
    assertThat(report.at("/tasks/0/examples").asInt()).isEqualTo(2);
    assertThat(report.at("/tasks/0/metrics/rouge1").isNumber()).isTrue();

    // Interrupted after step 2: the later checkpoints, the latest pointer and the stage marker
    // never got written. The rerun continues from step 2 instead of starting over.
    Path ckpts = Path.of(out, "run", "checkpoints");
    deleteTree(ckpts.resolve("step-0000003"));
    deleteTree(ckpts.resolve("step-0000004"));
    Files.delete(ckpts.resolve("latest"));
    Files.delete(Path.of(out, "run", PipelineRunner.MARKER));
    CliCapture resumed = cli(settings, "pipeline", "--output", out);
    assertThat(resumed.exitCode).isZero();
    assertThat(resumed.out)
        .containsPattern("tokenize +skipped")
        .containsPattern("train +resumed")
        .containsPattern("evaluate +ran");
    JsonNode train = Json.MAPPER.readTree(Path.of(out, "summary.json").toFile()).get("train");
    assertThat(train.get("steps").asLong()).isEqualTo(4);
    assertThat(train.get("checkpoint").asText()).endsWith("step-0000004");
    // Logged at the evaluations; the resumed part continues the file without repeating step 2.
    assertThat(TrainMetrics.steps(Path.of(out, "run", "metrics.jsonl"))).containsExactly(2L, 4L);

    // Interrupted after the last checkpoint but before the marker: nothing is left to train, and
    // the stage still reports the run's checkpoint (it was null, which broke the demo).
    Files.delete(Path.of(out, "run", PipelineRunner.MARKER));
    CliCapture finished = cli(settings, "pipeline", "--output", out);
    assertThat(finished.exitCode).isZero();
    assertThat(finished.out).containsPattern("train +resumed");
    train = Json.MAPPER.readTree(Path.of(out, "summary.json").toFile()).get("train");
    assertThat(train.get("steps").asLong()).isEqualTo(4);
    assertThat(train.get("checkpoint").isTextual()).as(train.toString()).isTrue();
    assertThat(train.get("checkpoint").asText()).endsWith("step-0000004");
  }

  @Test
  void demoOnASmallCorpusThenARerunThenFresh() throws Exception {
    Path input = tmp.resolve("slice.jsonl");
    Files.write(input, BrownCorpus.firstLines(30));
    String out = tmp.resolve("demo").toString();
    // conf/demo.yaml stays the base (2 replicas); only sizes are overridden.
    List<String> settings = with(TINY, "training.checkpoint_interval=0");

    CliCapture first = cli(settings, "demo", "--input", input.toString(), "--output", out);
    assertThat(first.exitCode).isZero();
    assertThat(first.out).contains("demo finished: " + out).contains("unigram baseline");
    JsonNode s = Json.MAPPER.readTree(Path.of(out, "summary.json").toFile());
    assertThat(s.get("stages").fieldNames())
        .toIterable()
        .containsExactly("preprocess", "train-tokenizer", "tokenize", "train", "evaluate");
    assertThat(s.at("/stages/train").asText()).isEqualTo("ran");
    assertThat(s.at("/preprocess/input").asLong()).isEqualTo(30);
    assertThat(s.at("/train/steps").asLong()).isEqualTo(4);
    assertThat(s.at("/train/unigram_baseline_loss").asDouble()).isPositive();
    assertThat(s.get("samples").fieldNames())
        .toIterable()
        .containsExactlyElementsOf(DemoCommand.PROMPTS);
    for (String p : DemoCommand.PROMPTS) {
      assertThat(s.get("samples").get(p).asText()).startsWith(p);
    }
    assertThat(Path.of(out, "eval", "report.html")).exists();

    // A rerun skips every stage and still generates from the kept checkpoint.
    CliCapture again = cli(settings, "demo", "--input", input.toString(), "--output", out);
    assertThat(again.exitCode).isZero();
    s = Json.MAPPER.readTree(Path.of(out, "summary.json").toFile());
    for (JsonNode st : s.get("stages")) {
      assertThat(st.asText()).isEqualTo("skipped");
    }
    assertThat(s.get("samples")).hasSize(3);

    // --fresh reruns every stage; the previous training run is kept aside, not deleted.
    CliCapture fresh =
        cli(settings, "demo", "--input", input.toString(), "--output", out, "--fresh");
    assertThat(fresh.exitCode).isZero();
    s = Json.MAPPER.readTree(Path.of(out, "summary.json").toFile());
    for (JsonNode st : s.get("stages")) {
      assertThat(st.asText()).isEqualTo("ran");
    }
    assertThat(Path.of(s.at("/train/previous_run").asText(), "checkpoints", "latest")).exists();
  }

  private static void deleteTree(Path dir) throws Exception {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The steps logged in a run's metrics.jsonl. */
  private static final class TrainMetrics {
    static List<Long> steps(Path metrics) throws Exception {
      List<Long> out = new ArrayList<>();
      for (String line : Files.readAllLines(metrics)) {
        out.add(Json.MAPPER.readTree(line).get("step").asLong());
      }
      return out;
    }
  }
}
