package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.*;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Stage 2 of 4: locality-sensitive hashing of signatures. The signature is cut into {@code bands}
 * bands of {@code rows} entries (entries past {@code bands * rows} are used only for verifying
 * pairs); documents whose band {@code b} is identical land in the same bucket {@code (b, hash)}.
 * Two documents of Jaccard similarity {@code s} share at least one bucket with probability {@code 1
 * - (1 - s^rows)^bands} (14 x 8: 50% at s = 0.72, 99.96% at s = 0.9, 5% at s = 0.5).
 *
 * <p>Built-in functions only: {@code xxhash64} of the band's slice, one row per (document, band).
 */
public final class LshBuckets {
  public static final String BAND = "band";
  public static final String BUCKET = "bucket";

  private final int bands;
  private final int rows;

  public LshBuckets(NearDedupParams params) {
    this.bands = params.bands();
    this.rows = params.rows();
  }

  /**
   * @param signatures {@code (id, sig)} from {@link MinHashSignatures}; null signatures are skipped
   * @return {@code (band int, bucket bigint, id string)}
   */
  public Dataset<Row> compute(Dataset<Row> signatures) {
    String bandHashes =
        String.format(
            "transform(sequence(0, %d), b -> xxhash64(slice(%s, b * %d + 1, %d)))",
            bands - 1, MinHashSignatures.SIG, rows, rows);
    return signatures
        .filter(col(MinHashSignatures.SIG).isNotNull())
        .select(col("id"), posexplode(expr(bandHashes)).as(new String[] {BAND, BUCKET}))
        .select(col(BAND), col(BUCKET), col("id"));
  }
}
