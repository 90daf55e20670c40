package dev.sparkllm.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.evaluation.EvaluateJob.Output;
import dev.sparkllm.training.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate.robustness inside a real evaluate run: the model is given the perturbed prompts (not the
 * clean ones again) and the report's per-perturbation metrics move with them.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RobustnessEvalTest {
  static final List<String> ALL = Perturbations.ALL;
  static SparkSession spark;
  @TempDir static Path shared;
  static String data;
  static String run;

  @BeforeAll
  static void setUp() throws Exception {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    EvaluateJobTest.spark = spark; // its writeData uses it
    EvaluateJobTest.writeData(
        data,
        Map.of(
            "train",
            EvaluateJobTest.pattern(48),
            "validation",
            EvaluateJobTest.pattern(8),
            "test",
            EvaluateJobTest.pattern(4)),
        EvaluateJobTest.VOCAB);
    Files.writeString(Path.of(data, "tokenizer.json"), EvaluateJobTest.tokenizerJson());
    run = shared.resolve("run").toString();
    TrainJob.run(spark, EvaluateJobTest.config("training.max_steps=40"), data, run, false);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config config() {
    return EvaluateJobTest.config(
        "evaluate.robustness.perturbations=[typos, case, whitespace, distractor]",
        // Every word perturbed: the prompts are short, and at the default 0.1 most stay clean.
        "evaluate.robustness.rate=1.0");
  }

  /** Prompts from the learned pattern " abcdefghijk", with the continuation as reference. */
  static Path taskFile(Path dir) throws Exception {
    Path gen = dir.resolve("gen.jsonl");
    Files.writeString(
        gen,
        "{\"prompt\": \"abcdefgh\", \"reference\": \"ijk abcdefg\"}\n"
            + "{\"prompt\": \"k abcd\", \"reference\": \"efghijk abc\"}\n");
    return gen;
  }

  @Test
  void theModelScoresThePerturbedPrompts(@TempDir Path tmp) throws Exception {
    Config ec = config().section("evaluate");
    List<TaskFile.Parsed> tasks = List.of(TaskFile.read(taskFile(tmp).toString()));
    List<Output> outputs =
        TaskEval.run(
            JavaSparkContext.fromSparkContext(spark.sparkContext()),
            ec,
            EvaluateJob.resolveCheckpoint(run),
            Path.of(data, "tokenizer.json").toString(),
            tasks,
            ALL,
            2);
    assertThat(outputs).hasSize(2 * (1 + ALL.size()));
    Map<String, String> prompt = new HashMap<>();
    Map<String, String> output = new HashMap<>();
    for (Output o : outputs) {
      prompt.put(o.variant() + "/" + o.line(), o.prompt());
      output.put(o.variant() + "/" + o.line(), o.output());
    }
    for (int line = 1; line <= 2; line++) {
      String clean = prompt.get(TaskFile.Item.CLEAN + "/" + line);
      for (String p : ALL) {
        assertThat(prompt.get(p + "/" + line)).as(p + " line " + line).isNotEqualTo(clean);
      }
      assertThat(prompt.get("case/" + line)).isEqualTo(clean.toUpperCase(Locale.ROOT));
      // Upper case is outside the tokenizer's vocabulary: the model's answer cannot stay the same.
      assertThat(output.get("case/" + line))
          .isNotEqualTo(output.get(TaskFile.Item.CLEAN + "/" + line));
    }
    assertThat(prompt.get("typos/1")).isEqualTo("abcedfgh");
  }

  @Test
  void reportHasEachPerturbationsMetricsDeltasAndChangedPrompts(@TempDir Path tmp)
      throws Exception {
    String out = tmp.resolve("eval").toString();
    EvaluateJob.run(spark, config(), run, data, out, List.of(taskFile(tmp).toString()), false);
    JsonNode g = Json.MAPPER.readTree(Path.of(out, "report.json").toFile()).at("/tasks/0");
    double clean = g.at("/metrics/rouge1").asDouble();
    assertThat(clean).isGreaterThan(0.5);
    JsonNode robust = g.get("robustness");
    assertThat(robust.fieldNames()).toIterable().containsExactlyElementsOf(ALL);
    for (String p : ALL) {
      JsonNode r = robust.get(p);
      assertThat(r.get("changed_prompts").asLong()).as(p).isEqualTo(2);
      assertThat(r.at("/delta/rouge1").asDouble())
          .as(p)
          .isEqualTo(r.at("/metrics/rouge1").asDouble() - clean);
    }
    // The model never saw upper case: its score drops when the prompt is shouted.
    assertThat(robust.at("/case/delta/rouge1").asDouble()).isNegative();
  }
}
