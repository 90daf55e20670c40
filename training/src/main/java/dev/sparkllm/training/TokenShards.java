package dev.sparkllm.training;

import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Token shards from rows already in hand, in the layout {@link TokenData} reads ({@code
 * DIR/tokens/split=NAME}, two Parquet files a split, and {@code DIR/manifest.json}): for benchmarks
 * and tests that train without running the tokenize job. The manifest is a {@link
 * TokenManifest#minimal minimal} one: the fields the tokenize job adds stay absent.
 */
public final class TokenShards {
  private TokenShards() {}

  /**
   * @param splits split name → rows of {@code seqLen + 1} token ids
   * @param tokenizerSha the manifest's tokenizer_sha256, or null when no tokenizer made the ids
   */
  public static void write(
      SparkSession spark,
      String dir,
      Map<String, List<int[]>> splits,
      int seqLen,
      int vocab,
      String tokenizerSha) {
    StructType schema =
        new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    for (Map.Entry<String, List<int[]>> split : splits.entrySet()) {
      List<Row> rows = new ArrayList<>(split.getValue().size());
      for (int[] ids : split.getValue()) {
        rows.add(RowFactory.create((Object) Arrays.stream(ids).boxed().toArray(Integer[]::new)));
      }
      spark
          .createDataFrame(rows, schema)
          .repartition(2)
          .write()
          .parquet(Storage.join(dir, "tokens", "split=" + split.getKey()));
    }
    TokenManifest.minimal(seqLen, vocab, tokenizerSha).write(dir);
  }
}
