package dev.sparkllm.training;

import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * and tests that train without running the tokenize job.
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
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("seq_len", seqLen);
    manifest.put("vocab_size", vocab);
    manifest.put("tokenizer_sha256", tokenizerSha);
    Storage.writeString(Storage.join(dir, "manifest.json"), Json.write(manifest));
  }
}
