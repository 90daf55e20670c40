package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.*;

import dev.sparkllm.core.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Removes documents whose normalized text equals another document's.
 *
 * <p>Normalization (upstream steps already applied NFKC and whitespace cleaning when enabled):
 * lowercase, every run of whitespace ({@code \s} and Unicode {@code \p{Z}}, e.g. no-break space)
 * collapsed to one space, and leading/trailing punctuation ({@code \p{P}}) and whitespace stripped
 * from the whole document. So "Hello World!" and " hello\tworld" are duplicates, while "hello,
 * world" is not: punctuation inside the text is content.
 *
 * <p>Key: SHA-256 of the normalized text's UTF-8 bytes (Spark's built-in {@code sha2}), 32 bytes
 * per document in the shuffle; collisions are not a practical concern. Survivor of each group: the
 * smallest {@code id} (Spark string order, i.e. UTF-8 byte order), so reruns keep the same
 * document. Groups are found with a partial {@code groupBy} (no window, nothing collected), then
 * joined back; one huge group costs one skewed join partition, which AQE can split.
 *
 * <p>The input is read twice (stats, then kept/rejected): persist it if it is expensive.
 */
public final class ExactDedup {
  public static final String NAME = "exact_dedup";
  public static final String REASON_DUPLICATE = "exact_duplicate";

  private static final String KEY = "_exact_key";
  private static final String SURVIVOR = "_exact_survivor";
  private static final String SIZE = "_exact_size";

  private final boolean enabled;

  /**
   * @param section {@code preprocess.exact_dedup}
   */
  public ExactDedup(Config section) {
    this.enabled = section.getBoolean("enabled");
  }

  /** The normalized text documents are compared by (see class comment). */
  public static Column normalizedText(Column text) {
    Column t = lower(coalesce(text, lit("")));
    t = regexp_replace(t, "[\\s\\p{Z}]+", " ");
    return regexp_replace(t, "^[\\p{P}\\s\\p{Z}]+|[\\p{P}\\s\\p{Z}]+$", "");
  }

  /**
   * @param docs at least {@code id} (unique) and {@code text}; other columns are carried along
   */
  public StageResult apply(Dataset<Row> docs) {
    Map<String, Object> stats = new TreeMap<>();
    stats.put("enabled", enabled);
    if (!enabled) {
      return new StageResult(
          docs,
          docs.sparkSession().createDataFrame(List.of(), StageResult.rejectedSchema(docs.schema())),
          stats,
          List.of());
    }
    Dataset<Row> keyed = docs.withColumn(KEY, unhex(sha2(normalizedText(col("text")), 256)));
    Dataset<Row> groups =
        keyed
            .groupBy(KEY)
            .agg(min("id").as(SURVIVOR), count(lit(1)).as(SIZE))
            .persist(StorageLevel.MEMORY_AND_DISK());
    Row totals =
        groups
            .agg(
                coalesce(sum(SIZE), lit(0L)),
                count(lit(1)),
                coalesce(sum(when(col(SIZE).gt(1), 1L).otherwise(0L)), lit(0L)),
                coalesce(max(SIZE), lit(0L)))
            .first();
    long in = totals.getLong(0);
    long distinct = totals.getLong(1);
    stats.put("in", in);
    stats.put("kept", distinct);
    stats.put("rejected", in - distinct);
    stats.put("rejected_by_reason", Map.of(REASON_DUPLICATE, in - distinct));
    stats.put("clusters", totals.getLong(2));
    stats.put("largest_cluster", totals.getLong(3));

    Dataset<Row> joined = keyed.join(groups.select(KEY, SURVIVOR), KEY);
    List<Column> inputCols = new ArrayList<>();
    for (String c : docs.columns()) {
      inputCols.add(joined.col(c));
    }
    Dataset<Row> kept =
        joined.filter(col("id").equalTo(col(SURVIVOR))).select(inputCols.toArray(Column[]::new));
    List<Column> rejectedCols = new ArrayList<>(inputCols);
    rejectedCols.add(lit(NAME).as(StageResult.STEP));
    rejectedCols.add(lit(REASON_DUPLICATE).as(StageResult.REASON));
    rejectedCols.add(col(SURVIVOR).as(StageResult.DUPLICATE_OF));
    Dataset<Row> rejected =
        joined
            .filter(col("id").notEqual(col(SURVIVOR)))
            .select(rejectedCols.toArray(Column[]::new));
    return new StageResult(kept, rejected, stats, List.of(groups));
  }
}
