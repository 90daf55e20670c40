package dev.sparkllm.core.testing;

import org.apache.spark.sql.SparkSession;

/** The session every Spark test uses: local[2] (two cores, as CI has), no UI, few partitions. */
public final class LocalSpark {
  private LocalSpark() {}

  public static SparkSession start() {
    return SparkSession.builder()
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }
}
