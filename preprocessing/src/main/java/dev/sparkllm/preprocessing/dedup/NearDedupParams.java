package dev.sparkllm.preprocessing.dedup;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;

/**
 * Checked settings of the MinHash LSH near-duplicate stage ({@code preprocess.near_dedup} plus
 * {@code preprocess.seed}).
 *
 * @param enabled run the stage at all
 * @param ngram words per shingle (documents with fewer words form one shingle)
 * @param numPerm hash functions, i.e. signature length
 * @param bands LSH bands; {@code bands * rows <= numPerm}
 * @param rows signature entries per band
 * @param threshold minimum estimated Jaccard similarity for a candidate pair to become an edge
 * @param mode remove (one survivor per cluster) or mark (keep all, record {@code cluster_id})
 * @param maxBucketDocs buckets with more documents are linked as a star to their smallest id
 *     instead of all pairs (config key {@code max_bucket_pairs})
 * @param maxIterations connected-components rounds before giving up with an error
 * @param seed seeds the hash functions; the same seed gives the same signatures everywhere
 */
public record NearDedupParams(
    boolean enabled,
    int ngram,
    int numPerm,
    int bands,
    int rows,
    double threshold,
    Mode mode,
    int maxBucketDocs,
    int maxIterations,
    long seed)
    implements Serializable {

  public enum Mode {
    REMOVE,
    MARK
  }

  private static final String SECTION = "preprocess.near_dedup";

  public NearDedupParams {
    check(ngram >= 1, "ngram", "must be >= 1, got " + ngram);
    check(numPerm >= 1, "num_perm", "must be >= 1, got " + numPerm);
    check(bands >= 1, "bands", "must be >= 1, got " + bands);
    check(rows >= 1, "rows", "must be >= 1, got " + rows);
    check(
        (long) bands * rows <= numPerm,
        "bands",
        "bands x rows (" + bands + " x " + rows + ") must not exceed num_perm (" + numPerm + ")");
    check(threshold >= 0 && threshold <= 1, "threshold", "must be within [0, 1], got " + threshold);
    check(maxBucketDocs >= 2, "max_bucket_pairs", "must be >= 2, got " + maxBucketDocs);
    check(maxIterations >= 1, "max_iterations", "must be >= 1, got " + maxIterations);
  }

  /**
   * @param section {@code preprocess.near_dedup}
   * @param seed {@code preprocess.seed}
   */
  public static NearDedupParams from(Config section, long seed) {
    String mode = section.getString("mode");
    Mode m;
    if ("remove".equals(mode)) {
      m = Mode.REMOVE;
    } else if ("mark".equals(mode)) {
      m = Mode.MARK;
    } else {
      throw new SparkLlmException(
          "config key '" + SECTION + ".mode' must be remove or mark, got '" + mode + "'");
    }
    return new NearDedupParams(
        section.getBoolean("enabled"),
        section.getInt("ngram"),
        section.getInt("num_perm"),
        section.getInt("bands"),
        section.getInt("rows"),
        section.getDouble("threshold"),
        m,
        section.getInt("max_bucket_pairs"),
        section.getInt("max_iterations"),
        seed);
  }

  private static void check(boolean ok, String key, String message) {
    if (!ok) {
      throw new SparkLlmException("config key '" + SECTION + "." + key + "' " + message);
    }
  }
}
