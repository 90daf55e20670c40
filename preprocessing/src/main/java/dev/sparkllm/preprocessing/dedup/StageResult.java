package dev.sparkllm.preprocessing.dedup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What a whole-dataset stage hands back.
 *
 * @param kept the input columns (plus any column the stage adds, e.g. {@code cluster_id})
 * @param rejected the input columns plus {@link #STEP}, {@link #REASON} and {@link #DUPLICATE_OF};
 *     {@code in = kept + rejected} always holds
 * @param stats counters for stats.json (plain numbers, strings and lists only)
 * @param cached intermediate datasets the stage persisted; {@link #release()} frees them once
 *     kept/rejected have been written
 */
public record StageResult(
    Dataset<Row> kept, Dataset<Row> rejected, Map<String, Object> stats, List<Dataset<?>> cached) {

  public static final String STEP = "step";
  public static final String REASON = "reason";
  public static final String DUPLICATE_OF = "duplicate_of";

  /** Schema of a stage's rejected rows for an input schema. */
  public static StructType rejectedSchema(StructType input) {
    return input
        .add(STEP, DataTypes.StringType, false)
        .add(REASON, DataTypes.StringType, false)
        .add(DUPLICATE_OF, DataTypes.StringType, true);
  }

  /** Frees what the stage persisted; kept/rejected stay valid but are recomputed if used again. */
  public void release() {
    for (Dataset<?> d : new ArrayList<>(cached)) {
      d.unpersist(false);
    }
  }
}
