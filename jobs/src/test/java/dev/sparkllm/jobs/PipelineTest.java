package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline end to end on a slice of the bundled corpus, then the resume behaviour: a stage that
 * fails leaves the finished ones complete, and the rerun skips them.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PipelineTest {
  static SparkSession spark;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    spark = LocalSpark.start();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static List<String> settings(String... more) {
    List<String> s =
        new ArrayList<>(
            List.of(
                "preprocess.split.train=0.8",
                "preprocess.split.validation=0.1",
                "preprocess.split.test=0.1",
                "tokenizer.vocab_size=400",
                "tokenize.seq_len=32",
                "training.max_steps=6",
                "training.eval_interval=3",
                "training.batch_size=4",
                "training.threads=1"));
    s.addAll(List.of(more));
    return s;
  }

  @Test
  void runsEveryStageThenResumesAfterAFailure() throws Exception {
    Path input = tmp.resolve("slice.jsonl");
    BrownCorpus.write(input, 20);
    String out = tmp.resolve("p").toString();
    List<String> in = List.of(input.toString());

    // tokenize fails (unknown end-of-text token): the two stages before it are complete.
    Config broken = Config.load(null, settings("tokenize.eos_token=<|nope|>"));
    assertThatThrownBy(() -> PipelineRunner.run(spark, broken, in, out, null))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("<|nope|>");
    assertThat(Path.of(out, "preprocess", PipelineRunner.MARKER)).exists();
    assertThat(Path.of(out, "tokenizer", PipelineRunner.MARKER)).exists();
    assertThat(Path.of(out, "tokens", PipelineRunner.MARKER)).doesNotExist();

    // The fixed config reruns only what did not finish.
    Config fixed = Config.load(null, settings());
    PipelineRunner.Result r = PipelineRunner.run(spark, fixed, in, out, null);
    assertThat(r.status())
        .containsEntry("preprocess", "skipped")
        .containsEntry("train-tokenizer", "skipped")
        .containsEntry("tokenize", "ran")
        .containsEntry("train", "ran")
        .containsEntry("evaluate", "ran");
    assertThat(Path.of(out, "run", "checkpoints", "latest")).exists();
    assertThat(Path.of(out, "eval", "report.html")).exists();
    assertThat(Path.of(out, "eval", "report.json")).exists();
    assertThat(((Number) ((java.util.Map<?, ?>) r.summary().get("train")).get("steps")).longValue())
        .isEqualTo(6);

    // Nothing changed: everything is skipped. A changed tokenizer setting reruns it and what
    // follows; --from forces a stage.
    assertThat(PipelineRunner.run(spark, fixed, in, out, null).status().values())
        .containsOnly("skipped");
    Config moreVocab = Config.load(null, settings("tokenizer.vocab_size=420"));
    assertThat(PipelineRunner.run(spark, moreVocab, in, out, null).status())
        .containsEntry("preprocess", "skipped")
        .containsEntry("train-tokenizer", "ran")
        .containsEntry("tokenize", "ran")
        .containsEntry("train", "ran");
    assertThat(PipelineRunner.run(spark, moreVocab, in, out, "train").status())
        .containsEntry("tokenize", "skipped")
        .containsEntry("train", "ran");
  }
}
