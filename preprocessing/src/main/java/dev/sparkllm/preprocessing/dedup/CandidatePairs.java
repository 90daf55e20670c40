package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.*;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Stage 3 of 4: buckets to verified edges.
 *
 * <p>Within a bucket of at most {@code maxBucketDocs} documents every pair is a candidate; a larger
 * bucket (a boilerplate band shared by thousands of pages) only links each member to the bucket's
 * smallest id, so its cost stays linear and no task receives a quadratic pair list. Such a star can
 * miss a pair of members that are similar to each other but not to the centre; other bands usually
 * catch it. Buckets are counted with a partial aggregation, so even a huge bucket is never gathered
 * into one list.
 *
 * <p>Candidates are deduplicated across bands and then verified: the estimated Jaccard similarity
 * (fraction of equal signature entries, computed with built-in {@code zip_with}) must reach {@code
 * threshold}. LSH alone accepts pairs well below the threshold with small probability; this check
 * removes them.
 */
public final class CandidatePairs {
  public static final String SRC = "src";
  public static final String DST = "dst";
  public static final String JACCARD = "jaccard";

  private final int maxBucketDocs;
  private final int numPerm;
  private final double threshold;

  public CandidatePairs(NearDedupParams params) {
    this.maxBucketDocs = params.maxBucketDocs();
    this.numPerm = params.numPerm();
    this.threshold = params.threshold();
  }

  /** Verified edges and the counts behind them. */
  public record Result(Dataset<Row> edges, long candidates, long verified) {}

  /**
   * @param buckets {@code (band, bucket, id)} from {@link LshBuckets}
   * @param signatures {@code (id, sig)} from {@link MinHashSignatures}
   * @return edges {@code (src, dst, jaccard)} with {@code src < dst}, materialized (cut lineage)
   */
  public Result compute(Dataset<Row> buckets, Dataset<Row> signatures) {
    Dataset<Row> candidates = candidates(buckets);
    Dataset<Row> sigs = signatures.filter(col(MinHashSignatures.SIG).isNotNull());
    Dataset<Row> s1 = sigs.select(col("id").as(SRC), col(MinHashSignatures.SIG).as("_s1"));
    Dataset<Row> s2 = sigs.select(col("id").as(DST), col(MinHashSignatures.SIG).as("_s2"));
    Column jaccard =
        expr("size(filter(zip_with(_s1, _s2, (x, y) -> x = y), e -> e))")
            .cast("double")
            .divide(lit((double) numPerm));
    Dataset<Row> scored =
        candidates
            .join(s1, SRC)
            .join(s2, DST)
            .select(col(SRC), col(DST), jaccard.as(JACCARD))
            .persist(StorageLevel.MEMORY_AND_DISK());
    Row counts =
        scored
            .agg(
                count(lit(1)),
                coalesce(sum(when(col(JACCARD).geq(threshold), 1L).otherwise(0L)), lit(0L)))
            .first();
    Dataset<Row> edges = Lineage.cut(scored.filter(col(JACCARD).geq(threshold)));
    scored.unpersist(false);
    return new Result(edges, counts.getLong(0), counts.getLong(1));
  }

  /** Distinct unverified pairs {@code (src, dst)} with {@code src < dst}. */
  public Dataset<Row> candidates(Dataset<Row> buckets) {
    Dataset<Row> info =
        buckets
            .groupBy(LshBuckets.BAND, LshBuckets.BUCKET)
            .agg(count(lit(1)).as("_n"), min("id").as("_min"))
            .filter(col("_n").gt(1));
    Dataset<Row> members = buckets.join(info, new String[] {LshBuckets.BAND, LshBuckets.BUCKET});
    Dataset<Row> star =
        members
            .filter(col("_n").gt(maxBucketDocs).and(col("id").notEqual(col("_min"))))
            .select(col("_min").as(SRC), col("id").as(DST));
    Dataset<Row> small =
        members
            .filter(col("_n").leq(maxBucketDocs))
            .select(col(LshBuckets.BAND), col(LshBuckets.BUCKET), col("id"));
    Dataset<Row> left = small.toDF("_b1", "_k1", SRC);
    Dataset<Row> right = small.toDF("_b2", "_k2", DST);
    Dataset<Row> pairs =
        left.join(
                right,
                col("_b1")
                    .equalTo(col("_b2"))
                    .and(col("_k1").equalTo(col("_k2")))
                    .and(col(SRC).lt(col(DST))))
            .select(SRC, DST);
    return star.union(pairs).distinct();
  }
}
