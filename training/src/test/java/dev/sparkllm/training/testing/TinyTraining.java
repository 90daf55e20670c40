package dev.sparkllm.training.testing;

import dev.sparkllm.core.Config;
import dev.sparkllm.training.TokenShards;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/** Token shards and a tiny-model config for tests that need a real training run (shared). */
public final class TinyTraining {
  private TinyTraining() {}

  /** Writes {@code DIR/tokens/split=NAME} shards (2 files each) and a minimal manifest.json. */
  public static void writeShards(
      SparkSession spark,
      String dir,
      Map<String, List<int[]>> splits,
      int seqLen,
      int vocab,
      String tokenizerSha) {
    TokenShards.write(spark, dir, splits, seqLen, vocab, tokenizerSha);
  }

  /**
   * Writes {@code rows} random rows of {@code seqLen + 1} ids below {@code vocab} (seed 7) as the
   * train split and their first 4 as {@code valSplit}, with a local[1] session of its own: for
   * tests that train from the CLI (which starts its own session afterwards).
   */
  public static void writeRandomShards(
      String dir, int rows, int seqLen, int vocab, String valSplit) {
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      Random rnd = new Random(7);
      List<int[]> all = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        all.add(rnd.ints(seqLen + 1, 0, vocab).toArray());
      }
      TokenShards.write(
          spark, dir, Map.of("train", all, valSplit, all.subList(0, 4)), seqLen, vocab, null);
    } finally {
      spark.stop();
    }
  }

  /** A 2-layer, 32-wide model with context 16 that learns a pattern in tens of steps. */
  public static Config config(String... overrides) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "model.context_length=16",
                "training.threads=1",
                "model.n_layer=2",
                "model.n_head=2",
                "model.n_embd=32",
                "model.dropout=0.0",
                "training.batch_size=8",
                "training.warmup_steps=5",
                "training.learning_rate=1.0e-2",
                "training.min_lr=1.0e-3",
                "training.weight_decay=0.0",
                "training.eval_interval=20",
                "training.eval_batches=1",
                "training.checkpoint_interval=0",
                "training.log_interval=10"));
    all.addAll(Arrays.asList(overrides));
    return Config.load(null, all);
  }
}
