package dev.sparkllm.preprocessing.split;

import static org.apache.spark.sql.functions.*;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assigns each document to train, validation or test, deterministically.
 *
 * <p>Key: {@code cluster_id} when the column exists (so a near-duplicate cluster, kept whole in
 * {@code mode: mark}, never straddles two splits), else {@code id}. {@code u = xxhash64(seed, key)
 * >>> 11 / 2^53}, uniform in [0, 1); split = the first whose cumulative fraction exceeds {@code u},
 * in the order train, validation, test; the last split with a positive fraction takes the rest, so
 * rounding never puts a document in a split of fraction 0. Same seed and key → same split on every
 * run, partitioning and machine.
 *
 * <p>A split with a positive fraction can still come out empty on tiny inputs (hashing is not
 * stratified). It is left as is: the counts report it, {@code stats.empty_splits} lists it and a
 * warning is logged, rather than moving documents and breaking the cluster/seed guarantees.
 */
public final class Splitter {
  public static final String NAME = "split";
  public static final String SPLIT = "split";
  public static final List<String> SPLITS = List.of("train", "validation", "test");
  private static final Logger LOG = LoggerFactory.getLogger(Splitter.class);

  private final double[] fractions;
  private final long seed;

  /**
   * @param section {@code preprocess.split}
   * @param seed {@code preprocess.seed}
   */
  public Splitter(Config section, long seed) {
    this(SPLITS.stream().mapToDouble(section::getDouble).toArray(), seed);
  }

  /**
   * @param fractions train, validation, test
   */
  public Splitter(double[] fractions, long seed) {
    if (fractions.length != SPLITS.size()) {
      throw new IllegalArgumentException("need fractions for " + SPLITS);
    }
    double sum = 0;
    for (int i = 0; i < fractions.length; i++) {
      double f = fractions[i];
      if (!(f >= 0 && f <= 1)) {
        throw new SparkLlmException(
            "config key 'preprocess.split."
                + SPLITS.get(i)
                + "' must be a fraction in [0, 1], got "
                + f);
      }
      sum += f;
    }
    if (Math.abs(sum - 1.0) > 1e-9) {
      throw new SparkLlmException(
          "config section 'preprocess.split' fractions must sum to 1, got "
              + sum
              + " "
              + Arrays.toString(fractions)
              + " for "
              + SPLITS);
    }
    this.fractions = fractions.clone();
    this.seed = seed;
  }

  /** {@code u} in [0, 1) for a key (see class comment). */
  public static Column unitInterval(long seed, Column key) {
    return shiftrightunsigned(xxhash64(lit(seed), key), 11).cast("double").divide(lit(0x1p53));
  }

  /** The split expression for a key column. */
  public Column assign(Column key) {
    Column u = unitInterval(seed, key);
    int last = -1;
    for (int i = 0; i < fractions.length; i++) {
      if (fractions[i] > 0) {
        last = i;
      }
    }
    double[] upper = new double[fractions.length];
    double running = 0;
    for (int i = 0; i < fractions.length; i++) {
      running += fractions[i];
      upper[i] = running;
    }
    // Built from the end so that the first split whose upper bound exceeds u wins.
    Column result = lit(SPLITS.get(last));
    for (int i = last - 1; i >= 0; i--) {
      if (fractions[i] > 0) {
        result = when(u.lt(upper[i]), lit(SPLITS.get(i))).otherwise(result);
      }
    }
    return result;
  }

  /** Adds {@code split} and counts documents per split (one aggregation over the input). */
  public SplitResult apply(Dataset<Row> docs) {
    boolean hasCluster = Arrays.asList(docs.columns()).contains("cluster_id");
    Column key = hasCluster ? coalesce(col("cluster_id"), col("id")) : col("id");
    Dataset<Row> out = docs.withColumn(SPLIT, assign(key));
    Map<String, Long> counts = new LinkedHashMap<>();
    SPLITS.forEach(s -> counts.put(s, 0L));
    for (Row r : out.groupBy(SPLIT).count().collectAsList()) {
      counts.put(r.getString(0), r.getLong(1));
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    List<String> empty = new ArrayList<>();
    for (int i = 0; i < SPLITS.size(); i++) {
      if (fractions[i] > 0 && counts.get(SPLITS.get(i)) == 0) {
        empty.add(SPLITS.get(i));
      }
    }
    if (!empty.isEmpty()) {
      LOG.warn(
          "split: {} empty although its fraction is > 0 ({} documents in total); "
              + "more documents or larger fractions fill it",
          empty,
          total);
    }
    Map<String, Object> stats = new TreeMap<>();
    stats.put("in", total);
    stats.put("counts", new TreeMap<>(counts));
    Map<String, Double> fr = new TreeMap<>();
    for (int i = 0; i < SPLITS.size(); i++) {
      fr.put(SPLITS.get(i), fractions[i]);
    }
    stats.put("fractions", fr);
    stats.put("key", hasCluster ? "cluster_id" : "id");
    stats.put("empty_splits", empty);
    return new SplitResult(out, counts, stats);
  }
}
