package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.core.TokenizeMode;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.training.testing.TinyTraining;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * Training on padded shards (tokenize --mode padded) counts only the response targets. The rows
 * here are a random 4-token prompt, the fixed response 1 2 3 4, end-of-text 5 and padding 0: the
 * response is learnable from any prompt, the prompt is noise, so only a loss that leaves the prompt
 * (and the padding) out can fall near zero.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PaddedTrainJobTest {
  static final int VOCAB = 32;
  static final int SEQ = 16;
  static final int PROMPT = 4;
  static final int[] RESPONSE = {1, 2, 3, 4, 5};
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  /** {ids, mask} rows as Padder builds them. */
  static List<int[][]> examples(int n, long seed) {
    Random r = new Random(seed);
    List<int[][]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] ids = new int[SEQ + 1];
      int[] mask = new int[SEQ + 1];
      for (int j = 0; j < PROMPT; j++) {
        ids[j] = 8 + r.nextInt(VOCAB - 8);
      }
      for (int j = 0; j < RESPONSE.length; j++) {
        ids[PROMPT + j] = RESPONSE[j];
        mask[PROMPT + j] = 1;
      }
      out.add(new int[][] {ids, mask});
    }
    return out;
  }

  static void writeSplit(String dir, String split, List<int[][]> rows, boolean withMask) {
    StructType schema =
        new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    if (withMask) {
      schema =
          schema.add("loss_mask", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    }
    List<Row> out = new ArrayList<>();
    for (int[][] r : rows) {
      Integer[] ids = Arrays.stream(r[0]).boxed().toArray(Integer[]::new);
      Integer[] mask = Arrays.stream(r[1]).boxed().toArray(Integer[]::new);
      out.add(withMask ? RowFactory.create(ids, mask) : RowFactory.create((Object) ids));
    }
    spark
        .createDataFrame(out, schema)
        .repartition(2)
        .write()
        .parquet(Storage.join(dir, "tokens", "split=" + split));
  }

  /** A manifest as tokenize --mode padded writes it (counts are not what this test checks). */
  static void writePaddedManifest(String dir, int trainRows, int valRows) {
    Map<String, TokenManifest.Split> splits = new LinkedHashMap<>();
    splits.put("train", split(trainRows));
    splits.put("validation", split(valRows));
    new TokenManifest(
            SEQ,
            VOCAB,
            null,
            new TokenManifest.Tokenize(
                TokenizeMode.PADDED,
                SEQ + 1,
                "tokenizer.json",
                "<|endoftext|>",
                5,
                new TokenManifest.Padding("<|pad|>", 0, "right"),
                42,
                "test",
                List.of(),
                splits))
        .write(dir);
  }

  static TokenManifest.Split split(int rows) {
    return new TokenManifest.Split(
        2,
        List.of(),
        rows,
        rows,
        0,
        0,
        null,
        new TokenManifest.PaddedCounts(0, 0, 0, 0, 0, (long) rows * RESPONSE.length));
  }

  @Test
  void paddedShardsTrainOnTheResponseOnly(@TempDir Path tmp) {
    String data = tmp.resolve("data").toString();
    writeSplit(data, "train", examples(48, 1), true);
    writeSplit(data, "validation", examples(8, 2), true);
    writePaddedManifest(data, 48, 8);
    TrainResult r =
        TrainJob.run(
            spark,
            TinyTraining.config("training.max_steps=40"),
            data,
            tmp.resolve("run").toString(),
            false);
    assertThat(r.trainLosses().get(0)).isGreaterThan(2.0); // ~ln(32) before learning
    // Counting the 3 random prompt targets of 16 would keep the loss above 3/16·ln(24) ≈ 0.6.
    assertThat(r.lastTrainLoss()).isLessThan(0.1);
    assertThat(r.bestValLoss()).isLessThan(0.1);
  }

  @Test
  void aPaddedManifestWithoutLossMaskIsRefused(@TempDir Path tmp) {
    String data = tmp.resolve("data").toString();
    writeSplit(data, "train", examples(16, 1), false);
    writePaddedManifest(data, 16, 0);
    String run = tmp.resolve("run").toString();
    assertThatThrownBy(
            () ->
                TrainJob.run(spark, TinyTraining.config("training.max_steps=2"), data, run, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("split=train")
        .hasMessageContaining(".parquet has no loss_mask column")
        .hasMessageContaining("mode padded");
  }
}
