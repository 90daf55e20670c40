package dev.sparkllm.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;

import dev.sparkllm.core.Storage;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The loss of a model that ignores context: cross-entropy (nats/token) of one split's target tokens
 * under the train split's unigram distribution, add-one smoothed. A model that learned anything
 * from context is well below it; the report states both.
 */
public final class UnigramBaseline {
  private UnigramBaseline() {}

  /** Baseline on {@code split}, or NaN when either split has no shards. */
  public static double loss(SparkSession spark, String data, String split, int vocab) {
    String trainDir = Storage.join(data, "tokens", "split=train");
    String evalDir = Storage.join(data, "tokens", "split=" + split);
    if (!Storage.exists(trainDir) || !Storage.exists(evalDir)) {
      return Double.NaN;
    }
    Map<Integer, Long> train = counts(spark, trainDir);
    Map<Integer, Long> eval = counts(spark, evalDir);
    double total = train.values().stream().mapToLong(Long::longValue).sum() + vocab;
    double nll = 0;
    long n = 0;
    for (Map.Entry<Integer, Long> e : eval.entrySet()) {
      nll -= e.getValue() * Math.log((train.getOrDefault(e.getKey(), 0L) + 1) / total);
      n += e.getValue();
    }
    return n == 0 ? Double.NaN : nll / n;
  }

  private static Map<Integer, Long> counts(SparkSession spark, String dir) {
    Map<Integer, Long> m = new HashMap<>();
    // The targets a model is scored on: ids 1..seq_len of each row.
    for (Row row :
        spark
            .read()
            .parquet(dir)
            .select(explode(expr("slice(input_ids, 2, size(input_ids) - 1)")).as("t"))
            .groupBy(col("t"))
            .count()
            .collectAsList()) {
      m.put(row.getInt(0), row.getLong(1));
    }
    return m;
  }
}
