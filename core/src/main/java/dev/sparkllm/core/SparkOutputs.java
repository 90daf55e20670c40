package dev.sparkllm.core;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * Settings that make Spark's Parquet writes safe on object stores: the S3A "magic" committer
 * through Spark's cloud commit protocol, because rename-based commits are neither atomic nor fast
 * on S3. Local and HDFS outputs keep Spark's defaults.
 */
public final class SparkOutputs {
  private SparkOutputs() {}

  /**
   * Called by {@link OutputDir} for every job output, so no job can forget it; a no-op without a
   * session or for other schemes.
   */
  public static void configureFor(SparkSession spark, String output) {
    if (spark == null || !output.startsWith("s3a://")) {
      return;
    }
    Configuration hc = spark.sparkContext().hadoopConfiguration();
    setIfAbsent(hc, "fs.s3a.committer.name", "magic");
    setIfAbsent(hc, "fs.s3a.committer.magic.enabled", "true");
    setIfAbsent(
        hc,
        "mapreduce.outputcommitter.factory.scheme.s3a",
        "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory");
    spark
        .conf()
        .set(
            "spark.sql.sources.commitProtocolClass",
            "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol");
    spark
        .conf()
        .set(
            "spark.sql.parquet.output.committer.class",
            "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter");
  }

  private static void setIfAbsent(Configuration hc, String key, String value) {
    if (hc.get(key) == null) {
      hc.set(key, value);
    }
  }
}
