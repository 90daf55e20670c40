package dev.sparkllm.preprocessing;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sparkllm.core.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The stages that need the whole dataset: exact dedup, near dedup, split. */
final class WholeDatasetStages {
  record Outcome(
      Dataset<Row> docs,
      List<Dataset<Row>> rejected,
      Map<String, Long> languages,
      Map<String, Long> splitCounts) {}

  private WholeDatasetStages() {}

  static Outcome run(
      SparkSession spark, Config pre, Dataset<Row> kept, List<Map<String, Object>> stepStats) {
    List<Dataset<Row>> rejected = new ArrayList<>();
    Dataset<Row> docs = kept.withColumn("cluster_id", col("id"));
    double train = pre.getDouble("split.train");
    double val = pre.getDouble("split.validation");
    Column u =
        xxhash64(lit(pre.getLong("seed")), col("cluster_id"))
            .bitwiseAND(lit(0xFFFFFFFFL))
            .divide(lit(4294967296.0));
    docs =
        docs.withColumn(
            "split",
            when(u.lt(train), "train").when(u.lt(train + val), "validation").otherwise("test"));
    Map<String, Long> splits = new TreeMap<>();
    for (Row r : docs.groupBy("split").count().collectAsList()) {
      splits.put(r.getString(0), r.getLong(1));
    }
    Map<String, Long> langs = new TreeMap<>();
    for (Row r : docs.groupBy("lang").count().collectAsList()) {
      langs.put(r.isNullAt(0) ? "not_detected" : r.getString(0), r.getLong(1));
    }
    return new Outcome(docs, rejected, langs, splits);
  }
}
