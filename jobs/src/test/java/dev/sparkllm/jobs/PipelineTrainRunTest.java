package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A rerun of the pipeline with other training settings never deletes the finished run. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PipelineTrainRunTest {
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

  private static Config config(String... more) {
    List<String> s =
        new ArrayList<>(
            List.of(
                "pipeline.stages=[preprocess, train-tokenizer, tokenize, train]",
                "preprocess.split.train=0.8",
                "preprocess.split.validation=0.1",
                "preprocess.split.test=0.1",
                "tokenizer.vocab_size=300",
                "tokenize.seq_len=16",
                "training.eval_interval=2",
                "training.checkpoint_interval=1",
                "training.keep_checkpoints=0",
                "training.batch_size=2",
                "training.threads=1"));
    s.addAll(List.of(more));
    return Config.load(null, s);
  }

  private static long steps(PipelineRunner.Result r) {
    return ((Number) ((Map<?, ?>) r.summary().get("train")).get("steps")).longValue();
  }

  @Test
  void moreStepsContinueTheRunAndOtherSettingsKeepTheOldRunAside() throws Exception {
    Path input = tmp.resolve("slice.jsonl");
    BrownCorpus.write(input, 12);
    String out = tmp.resolve("p").toString();
    List<String> in = List.of(input.toString());

    assertThat(steps(PipelineRunner.run(spark, config("training.max_steps=2"), in, out, null)))
        .isEqualTo(2);
    Path step2 = Path.of(out, "run", "checkpoints", "step-0000002");
    assertThat(step2).exists();

    // Raising max_steps continues the finished run from its last checkpoint.
    PipelineRunner.Result longer =
        PipelineRunner.run(spark, config("training.max_steps=3"), in, out, null);
    assertThat(longer.status())
        .containsEntry("tokenize", "skipped")
        .containsEntry("train", "resumed");
    assertThat(steps(longer)).isEqualTo(3);
    assertThat(step2).exists();
    assertThat(Path.of(out, "run", "checkpoints", "step-0000003")).exists();

    // Another learning rate is a new run; the old one is kept under a new name, not deleted.
    PipelineRunner.Result other =
        PipelineRunner.run(
            spark, config("training.max_steps=3", "training.learning_rate=1e-3"), in, out, null);
    assertThat(other.status()).containsEntry("train", "ran");
    String prev = (String) ((Map<?, ?>) other.summary().get("train")).get("previous_run");
    assertThat(prev).contains("run.prev-");
    assertThat(Path.of(prev, "checkpoints", "step-0000003")).exists();
    assertThat(Path.of(prev, "checkpoints", "step-0000002")).exists();
    assertThat(Path.of(out, "run", "checkpoints", "step-0000003")).exists();
  }
}
