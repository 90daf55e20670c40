package dev.sparkllm.preprocessing;

import static org.apache.spark.sql.functions.col;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.dedup.ExactDedup;
import dev.sparkllm.preprocessing.dedup.NearDedup;
import dev.sparkllm.preprocessing.dedup.StageResult;
import dev.sparkllm.preprocessing.split.SplitResult;
import dev.sparkllm.preprocessing.split.Splitter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The stages that need the whole dataset: exact dedup, near dedup, split. Each stage's counts are
 * appended to the per-step stats in the same shape as the per-document steps (in, out, rejected by
 * reason), so one reconciliation covers the whole job.
 */
final class WholeDatasetStages {
  record Outcome(
      Dataset<Row> docs,
      List<Dataset<Row>> rejected,
      Map<String, Long> languages,
      Map<String, Long> splitCounts,
      List<StageResult> toRelease,
      Dataset<Row> input) {
    /** Frees cached intermediates once the outputs are written. */
    void release() {
      toRelease.forEach(StageResult::release);
      input.unpersist(false);
    }
  }

  private WholeDatasetStages() {}

  static Outcome run(Config pre, Dataset<Row> kept, List<PreprocessStats.Step> stepStats) {
    List<Dataset<Row>> rejected = new ArrayList<>();
    List<StageResult> results = new ArrayList<>();
    long seed = pre.getLong("seed");
    // The dedup stages read their input several times; compute the per-document pass once.
    Dataset<Row> docs = kept.persist(StorageLevel.MEMORY_AND_DISK());

    StageResult exact = new ExactDedup(pre.section("exact_dedup")).apply(docs);
    results.add(exact);
    stepStats.add(stageStats(ExactDedup.NAME, exact.stats()));
    rejected.add(rejectedColumns(exact.rejected()));

    StageResult near = new NearDedup(pre.section("near_dedup"), seed).apply(exact.kept());
    results.add(near);
    stepStats.add(stageStats(NearDedup.NAME, near.stats()));
    rejected.add(rejectedColumns(near.rejected()));

    SplitResult split = new Splitter(pre.section("split"), seed).apply(near.kept());
    Map<String, Long> langs = new TreeMap<>();
    for (Row r : split.docs().groupBy("lang").count().collectAsList()) {
      langs.put(r.isNullAt(0) ? "not_detected" : r.getString(0), r.getLong(1));
    }
    return new Outcome(split.docs(), rejected, langs, split.counts(), results, docs);
  }

  private static Dataset<Row> rejectedColumns(Dataset<Row> stageRejected) {
    return stageRejected.select(
        col("id"), col("source"), col("step"), col("reason"), col("text"), col("duplicate_of"));
  }

  /** A stage's stats in the per-step shape, with its extra counters kept under "details". */
  private static PreprocessStats.Step stageStats(String name, Map<String, Object> s) {
    long in = ((Number) s.getOrDefault("in", 0L)).longValue();
    long rej = ((Number) s.getOrDefault("rejected", 0L)).longValue();
    Map<String, Long> byReason = new LinkedHashMap<>();
    ((Map<?, ?>) s.getOrDefault("rejected_by_reason", Map.of()))
        .forEach((k, v) -> byReason.put((String) k, ((Number) v).longValue()));
    Map<String, Object> details = new TreeMap<>(s);
    details.keySet().removeAll(List.of("in", "kept", "rejected", "rejected_by_reason"));
    return new PreprocessStats.Step(name, in, in - rej, rej, byReason, null, null, details);
  }
}
