package dev.sparkllm.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.TrainJob;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.testing.CharTokenizer;
import dev.sparkllm.training.testing.TinyTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EvaluateJobTest {
  static final int VOCAB = 32;
  static final int SEQ = 16;

  /** Character-level vocabulary of the test tokenizer: ids 2..31 (0, 1 are special tokens). */
  static final String CHARS = " abcdefghijklmnopqrstuvwxyz<>/";

  static SparkSession spark;
  @TempDir static Path shared;
  static String data;
  static String run;

  @BeforeAll
  static void setUp() throws Exception {
    spark = LocalSpark.start();
    data = shared.resolve("data").toString();
    // " abcdefghijk" repeated (ids 2..13), rows starting at every offset: learnable in a few steps.
    writeData(
        data, Map.of("train", pattern(48), "validation", pattern(8), "test", pattern(12)), VOCAB);
    Files.writeString(Path.of(data, "tokenizer.json"), tokenizerJson());
    run = shared.resolve("run").toString();
    TrainJob.run(spark, config("training.max_steps=40"), data, run, false);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static List<int[]> pattern(int rows) {
    List<int[]> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int[] ids = new int[SEQ + 1];
      for (int j = 0; j <= SEQ; j++) {
        ids[j] = 2 + (r + j) % 12;
      }
      out.add(ids);
    }
    return out;
  }

  static void writeData(String dir, Map<String, List<int[]>> splits, int vocab) {
    TinyTraining.writeShards(spark, dir, splits, SEQ, vocab, "abc");
  }

  /** A character-level BPE tokenizer.json (no merges) over {@link #CHARS}. */
  static String tokenizerJson() {
    return CharTokenizer.json(CHARS);
  }

  static Config config(String... overrides) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "evaluate.max_new_tokens=11", "evaluate.batch_size=4", "evaluate.partitions=2"));
    all.addAll(Arrays.asList(overrides));
    return TinyTraining.config(all.toArray(String[]::new));
  }

  @Test
  void uniformOutputHasPerplexityEqualToVocabularySize() {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, new GptConfig(VOCAB, SEQ, 1, 2, 16, 0.0, 1e-5, 0.02));
      // The head is tied to wte: zero embeddings give zero logits, i.e. a uniform distribution.
      model.namedParameters().get("wte.weight").getArray().muli(0);
      ModelScorer scorer = new ModelScorer(model);
      ModelScorer.LmStats s = scorer.scoreRows(pattern(3).toArray(new int[0][]), 0);
      assertThat(s.tokens()).isEqualTo(3 * SEQ);
      assertThat(Math.exp(s.nll() / s.tokens())).isCloseTo(VOCAB, within(1e-3));
      // argmax of equal logits is id 0, which never occurs as a target here.
      assertThat(s.correct()).isZero();
    }
  }

  @Test
  void slidingWindowsScoreEveryTargetOnce() {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, new GptConfig(VOCAB, 8, 1, 2, 16, 0.0, 1e-5, 0.02));
      ModelScorer scorer = new ModelScorer(model);
      int[][] rows = pattern(2).toArray(new int[0][]); // 16 targets per row, context 8
      ModelScorer.LmStats apart = scorer.scoreRows(rows, 0);
      ModelScorer.LmStats sliding = scorer.scoreRows(rows, 3);
      ModelScorer.LmStats full = scorer.scoreRows(rows, 8);
      assertThat(apart.tokens()).isEqualTo(32);
      assertThat(sliding.tokens()).isEqualTo(32);
      assertThat(full.nll()).isEqualTo(apart.nll());
      // Overlapping windows give later targets more context, so the result differs.
      assertThat(sliding.nll()).isNotEqualTo(apart.nll());
      // The first window (targets 1..8) is the same either way: one row of 8 targets equals it.
      int[][] head = {Arrays.copyOf(rows[0], 9)};
      assertThat(scorer.scoreRows(head, 3).nll())
          .isCloseTo(scorer.scoreRows(head, 0).nll(), within(1e-9));
    }
  }

  @Test
  void evaluatesTrainedCheckpointWithTasksAndEscapesHtml(@TempDir Path tmp) throws Exception {
    Path gen = tmp.resolve("gen.jsonl");
    Files.writeString(
        gen,
        String.join(
            "\n",
            "{\"prompt\": \"abcd\", \"reference\": \"efghijk abc\"}",
            "not json",
            "{\"prompt\": \"<script>alert\", \"references\": [\"x\", \"y\"]}",
            "{\"prompt\": \"abc\"}",
            ""));
    Path cls = tmp.resolve("cls.jsonl");
    Files.writeString(
        cls,
        "{\"prompt\": \"efghijk\", \"choices\": [\"abc\", \"qrs\"], \"answer\": 0}\n"
            + "{\"prompt\": \"defghijk\", \"choices\": [\"uvw\", \"abc\"], \"answer\": \"abc\"}\n"
            + "{\"prompt\": \"abc\", \"choices\": [\"d\"], \"answer\": 3}\n");
    Path empty = tmp.resolve("empty.jsonl");
    Files.writeString(empty, "\n");
    String out = tmp.resolve("eval").toString();

    EvaluateJob.EvaluateResult r =
        EvaluateJob.run(
            spark,
            config("evaluate.robustness.perturbations=[typos, case, whitespace, distractor]"),
            run,
            data,
            out,
            List.of(gen.toString(), cls.toString(), empty.toString()),
            false);

    assertThat(r.contextLength()).isEqualTo(SEQ);
    assertThat(r.tokens()).isEqualTo(12L * SEQ);
    assertThat(r.perplexity()).isEqualTo(Math.exp(r.crossEntropy()));
    assertThat(r.perplexity()).isLessThan(1.5);
    assertThat(r.nextTokenAccuracy()).isGreaterThan(0.9);

    JsonNode report = Json.MAPPER.readTree(Path.of(out, "report.json").toFile());
    assertThat(report.get("step").asLong()).isEqualTo(40);
    assertThat(report.get("config_hash").asText()).hasSize(64);
    assertThat(report.get("data_manifest").get("vocab_size").asInt()).isEqualTo(VOCAB);
    assertThat(report.at("/language_model/context_length").asInt()).isEqualTo(SEQ);
    // The report states the context-free baseline; the trained model is far below it.
    assertThat(report.at("/language_model/unigram_baseline_cross_entropy").asDouble())
        .isGreaterThan(r.crossEntropy() + 1.0);
    JsonNode g = report.at("/tasks/0");
    assertThat(g.get("kind").asText()).isEqualTo("generation");
    assertThat(g.get("examples").asInt()).isEqualTo(2);
    assertThat(g.get("malformed").asInt()).isEqualTo(2);
    assertThat(g.get("malformed_lines").fieldNames()).toIterable().containsExactly("2", "4");
    assertThat(g.at("/metrics/rouge1").asDouble()).isGreaterThan(0.4);
    assertThat(g.at("/metrics/bleu").isNumber()).isTrue();
    JsonNode robust = g.get("robustness");
    assertThat(robust.fieldNames())
        .toIterable()
        .containsExactly("typos", "case", "whitespace", "distractor");
    for (JsonNode p : robust) {
      assertThat(p.at("/delta/rouge1").asDouble())
          .isEqualTo(p.at("/metrics/rouge1").asDouble() - g.at("/metrics/rouge1").asDouble());
    }
    JsonNode c = report.at("/tasks/1");
    assertThat(c.get("kind").asText()).isEqualTo("classification");
    assertThat(c.get("examples").asInt()).isEqualTo(2);
    assertThat(c.get("malformed").asInt()).isEqualTo(1);
    assertThat(c.at("/metrics/accuracy").asDouble()).isEqualTo(1.0);
    assertThat(c.at("/metrics/macro_f1").asDouble()).isEqualTo(1.0);
    JsonNode e = report.at("/tasks/2");
    assertThat(e.get("empty").asBoolean()).isTrue();
    assertThat(e.get("examples").asInt()).isZero();
    assertThat(r.warnings()).anyMatch(w -> w.contains("empty.jsonl is empty"));
    assertThat(r.warnings())
        .anyMatch(w -> w.contains("gen.jsonl: 2 malformed line(s), e.g. line 2: not valid JSON"));

    List<String> samples = Files.readAllLines(Path.of(out, "samples.jsonl"));
    assertThat(samples).hasSize(4);
    assertThat(Files.readString(Path.of(out, "samples.csv")))
        .startsWith("task,line,kind,prompt,output,reference,rating,comment\r\n");
    JsonNode first = Json.MAPPER.readTree(samples.get(2));
    assertThat(first.get("prompt").asText()).isEqualTo("abcd");
    assertThat(first.get("output").asText()).startsWith("efghijk");

    String html = Files.readString(Path.of(out, "report.html"));
    assertThat(html).contains("&lt;script&gt;alert").doesNotContain("<script");
    assertThat(html).contains("data:image/png;base64,");
    assertThat(html).contains("Training curves").contains("Robustness");
    // -Dsparkllm.test.keep=DIR keeps the outputs for looking at the rendered page.
    String keep = System.getProperty("sparkllm.test.keep");
    if (keep != null) {
      Files.createDirectories(Path.of(keep));
      for (String f : List.of("report.html", "report.json", "samples.csv", "samples.jsonl")) {
        Files.copy(
            Path.of(out, f), Path.of(keep, f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void reportOfRunDrawsCurves(@TempDir Path tmp) throws Exception {
    String page = ReportWriter.renderRun(run, tmp.toString());
    String html = Files.readString(Path.of(page));
    assertThat(html).contains("Training run").contains("data:image/png;base64,");
    assertThat(html.split("data:image/png").length - 1).isEqualTo(2);
  }

  @Test
  void vocabularyMismatchIsRejected(@TempDir Path tmp) {
    String other = tmp.resolve("other").toString();
    writeData(other, Map.of("test", pattern(2)), 40);
    assertThatThrownBy(
            () ->
                EvaluateJob.run(
                    spark, config(), run, other, tmp.resolve("o").toString(), List.of(), false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("vocabulary mismatch")
        .hasMessageContaining("vocab_size 32")
        .hasMessageContaining("says 40");
  }
}
