package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Preference shards for DPO: {@code DATA/tokens/split=S/*.parquet}, one row per pair, columns
 * {@code chosen_ids}, {@code chosen_mask}, {@code rejected_ids}, {@code rejected_mask} (each
 * array&lt;int&gt; of seq_len+1; both responses follow the same prompt, padded, the masks 1 on
 * response tokens and the closing end-of-text as in padded shards), and {@code DATA/manifest.json}.
 * {@link TokenData} reads them for a DPO run, one pair per row, so the data order, the ranks' share
 * and resuming work as for {@code train}.
 */
public final class PreferenceShards {
  static final List<String> COLUMNS =
      List.of("chosen_ids", "chosen_mask", "rejected_ids", "rejected_mask");

  private PreferenceShards() {}

  /** One pair: rows of seq_len+1 ids and their loss masks. */
  public record Pair(int[] chosen, int[] chosenMask, int[] rejected, int[] rejectedMask) {}

  /** Writes {@code splits} (split name → pairs) in two Parquet files a split, and a manifest. */
  public static void write(
      SparkSession spark,
      String dir,
      Map<String, List<Pair>> splits,
      int seqLen,
      int vocab,
      String tokenizerSha) {
    DataType ints = DataTypes.createArrayType(DataTypes.IntegerType, false);
    StructType schema = new StructType();
    for (String c : COLUMNS) {
      schema = schema.add(c, ints, false);
    }
    for (Map.Entry<String, List<Pair>> split : splits.entrySet()) {
      List<Row> rows = new ArrayList<>();
      for (Pair p : split.getValue()) {
        rows.add(
            RowFactory.create(
                boxed(p.chosen()),
                boxed(p.chosenMask()),
                boxed(p.rejected()),
                boxed(p.rejectedMask())));
      }
      spark
          .createDataFrame(rows, schema)
          .repartition(2)
          .write()
          .parquet(Storage.join(dir, "tokens", "split=" + split.getKey()));
    }
    TokenManifest.minimal(seqLen, vocab, tokenizerSha).write(dir);
  }

  private static Integer[] boxed(int[] a) {
    return Arrays.stream(a).boxed().toArray(Integer[]::new);
  }

  /** A shard's pairs as {@link TokenData} rows: chosen ++ rejected ids, and masks likewise. */
  static TokenData.Shard read(String file, TokenManifest manifest) {
    List<int[]> ids = new ArrayList<>();
    List<int[]> masks = new ArrayList<>();
    int n = manifest.seqLen() + 1;
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), new Path(file))
            .withConf(Storage.hadoopConf())
            .build()) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        int[][] cols = new int[4][];
        for (int c = 0; c < 4; c++) {
          String name = COLUMNS.get(c);
          if (!g.getType().containsField(name)) {
            throw new SparkLlmException(
                file
                    + " has no "
                    + name
                    + " column; DPO needs preference shards (chosen_ids, chosen_mask, rejected_ids,"
                    + " rejected_mask), not token shards");
          }
          cols[c] = ints(file, g.getGroup(name, 0), name, n, c % 2 == 0 ? manifest.vocabSize() : 2);
        }
        ids.add(concat(cols[0], cols[2]));
        masks.add(concat(cols[1], cols[3]));
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof SparkLlmException s) {
        throw s;
      }
      throw new SparkLlmException(
          "cannot read preference shard "
              + file
              + " (expected Parquet with "
              + COLUMNS
              + "): "
              + e.getMessage(),
          e);
    }
    return new TokenData.Shard(ids, masks);
  }

  /** The list's values, each in [0, bound), exactly {@code n} of them. */
  private static int[] ints(String file, Group list, String column, int n, int bound) {
    int len = list.getFieldRepetitionCount(0);
    if (len != n) {
      throw new SparkLlmException(
          file
              + " has a "
              + column
              + " of "
              + len
              + " values; manifest.json says seq_len+1 = "
              + n);
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int v = list.getGroup(0, i).getInteger(0, 0);
      if (v < 0 || v >= bound) {
        throw new SparkLlmException(
            file
                + " holds "
                + column
                + " value "
                + v
                + (bound == 2
                    ? " (only 0 and 1 are allowed)"
                    : " outside the manifest's vocab_size " + bound));
      }
      out[i] = v;
    }
    return out;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
