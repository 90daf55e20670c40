package dev.sparkllm.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.core.TokenizeMode;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate on padded (instruction) shards scores the loss_mask targets only, as training counts
 * them: the prompt and the padding after the end-of-text contribute nothing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PaddedEvaluateTest {
  static final int VOCAB = 32;
  static final int SEQ = 16;
  static final int ROWS = 6;
  static SparkSession spark;
  @TempDir static Path dir;
  static String model;

  @BeforeAll
  static void setUp() throws Exception {
    spark = LocalSpark.start();
    Path m = Files.createDirectories(dir.resolve("model"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(11);
      Gpt gpt = Gpt.create(manager, new GptConfig(VOCAB, SEQ, 1, 2, 16, 0.0, 1e-5, 0.3));
      Files.writeString(m.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(m.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    model = m.toString();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  /**
   * Rows of a 4-id prompt, a 3-id response, end-of-text (id 0), then filler: pad id 1, or random
   * ids when {@code noisyPadding} (still mask 0, so it must not matter).
   */
  static String write(String name, boolean noisyPadding) {
    Random r = new Random(5);
    Random noise = new Random(9);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      Integer[] ids = new Integer[SEQ + 1];
      Integer[] mask = new Integer[SEQ + 1];
      for (int j = 0; j <= SEQ; j++) {
        boolean response = j >= 4 && j < 8;
        ids[j] = j < 7 ? 2 + r.nextInt(VOCAB - 2) : j == 7 ? 0 : 1;
        if (j > 7 && noisyPadding) {
          ids[j] = 2 + noise.nextInt(VOCAB - 2);
        }
        mask[j] = response ? 1 : 0;
      }
      rows.add(RowFactory.create(ids, mask));
    }
    StructType schema =
        new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("loss_mask", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    String data = dir.resolve(name).toString();
    spark
        .createDataFrame(rows, schema)
        .repartition(2)
        .write()
        .parquet(Storage.join(data, "tokens", "split=test"));
    new TokenManifest(
            SEQ,
            VOCAB,
            null,
            new TokenManifest.Tokenize(
                TokenizeMode.PADDED,
                SEQ + 1,
                "tokenizer.json",
                "<|endoftext|>",
                0,
                new TokenManifest.Padding("<|pad|>", 1, "right"),
                42,
                "test",
                List.of(),
                Map.of(
                    "test",
                    new TokenManifest.Split(
                        2,
                        List.of(),
                        ROWS,
                        ROWS,
                        0,
                        0,
                        null,
                        new TokenManifest.PaddedCounts(0, 0, 0, 0, 0, ROWS * 4L)))))
        .write(data);
    return data;
  }

  static EvaluateJob.EvaluateResult evaluate(String data, String out) {
    Config c = Config.load(null, Arrays.asList("evaluate.batch_size=4", "evaluate.partitions=2"));
    return EvaluateJob.run(spark, c, model, data, dir.resolve(out).toString(), List.of(), false);
  }

  @Test
  void onlyLossMaskTargetsAreScored() {
    EvaluateJob.EvaluateResult clean = evaluate(write("clean", false), "eval-clean");
    EvaluateJob.EvaluateResult noisy = evaluate(write("noisy", true), "eval-noisy");
    // Targets 4..7 of each row: three response ids and the end-of-text.
    assertThat(clean.tokens()).isEqualTo(ROWS * 4L);
    assertThat(noisy.crossEntropy()).isEqualTo(clean.crossEntropy());
    assertThat(noisy.nextTokenAccuracy()).isEqualTo(clean.nextTokenAccuracy());
  }
}
