package dev.sparkllm.preprocessing.dedup;

import org.apache.spark.sql.Dataset;

/** Materializes a dataset and drops its lineage, for iterative and multi-use intermediates. */
final class Lineage {
  private Lineage() {}

  /**
   * Reliable checkpoint when the application set a checkpoint directory (survives executor loss),
   * otherwise a local checkpoint (executor storage; a lost executor fails the job instead of
   * recomputing an unbounded lineage). Both are eager.
   */
  static <T> Dataset<T> cut(Dataset<T> ds) {
    boolean reliable = ds.sparkSession().sparkContext().getCheckpointDir().isDefined();
    return reliable ? ds.checkpoint(true) : ds.localCheckpoint(true);
  }
}
