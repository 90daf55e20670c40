package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.*;

import dev.sparkllm.core.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * MinHash LSH near-duplicate removal: {@link MinHashSignatures} → {@link LshBuckets} → {@link
 * CandidatePairs} (verified edges) → {@link ConnectedComponents} → one survivor per cluster.
 *
 * <p>{@code cluster_id} (added to kept rows) is the smallest id of the document's cluster, or the
 * document's own id when it has no near-duplicate, so every row has one and the splitter can keep
 * clusters together. Survivor of a cluster: the longest text (Unicode code points), ties broken by
 * the smallest id. {@code mode: remove} rejects the other members as {@code near_duplicate} with
 * {@code duplicate_of} = survivor; {@code mode: mark} keeps every member.
 *
 * <p>The input is read three times (signatures, text lengths, the final join): persist it if it is
 * expensive. Ids must be unique.
 */
public final class NearDedup {
  public static final String NAME = "near_dedup";
  public static final String REASON_DUPLICATE = "near_duplicate";
  public static final String CLUSTER_ID = ConnectedComponents.CLUSTER_ID;

  private static final String SURVIVOR = "_near_survivor";
  private static final String CLUSTER = "_near_cluster";

  private final NearDedupParams params;

  public NearDedup(NearDedupParams params) {
    this.params = params;
  }

  /**
   * @param section {@code preprocess.near_dedup}
   * @param seed {@code preprocess.seed}
   */
  public NearDedup(Config section, long seed) {
    this(NearDedupParams.from(section, seed));
  }

  public NearDedupParams params() {
    return params;
  }

  /**
   * @param docs at least {@code id} (unique) and {@code text}; other columns are carried along
   */
  public StageResult apply(Dataset<Row> docs) {
    Map<String, Object> stats = new TreeMap<>();
    stats.put("enabled", params.enabled());
    List<Column> inputCols = new ArrayList<>();
    for (String c : docs.columns()) {
      inputCols.add(col(c));
    }
    if (!params.enabled()) {
      List<Column> cols = new ArrayList<>(inputCols);
      cols.add(col("id").as(CLUSTER_ID));
      return new StageResult(
          docs.select(cols.toArray(Column[]::new)),
          docs.sparkSession().createDataFrame(List.of(), StageResult.rejectedSchema(docs.schema())),
          stats,
          List.of());
    }
    stats.put("mode", params.mode().name().toLowerCase(java.util.Locale.ROOT));

    Dataset<Row> sigs =
        new MinHashSignatures(params).compute(docs).persist(StorageLevel.MEMORY_AND_DISK());
    Row sigCounts = sigs.agg(count(lit(1)), count(col(MinHashSignatures.SIG))).first();
    long in = sigCounts.getLong(0);
    stats.put("in", in);
    stats.put("docs_without_words", in - sigCounts.getLong(1));

    Dataset<Row> buckets = new LshBuckets(params).compute(sigs);
    CandidatePairs.Result pairs = new CandidatePairs(params).compute(buckets, sigs);
    sigs.unpersist(false);
    stats.put("candidate_pairs", pairs.candidates());
    stats.put("verified_pairs", pairs.verified());

    ConnectedComponents.Result cc =
        new ConnectedComponents(params.maxIterations()).run(pairs.edges());
    stats.put("cc_iterations", cc.iterations());

    // Survivors are chosen on a narrow (id, length) projection; only the final join touches text.
    Dataset<Row> lengths = docs.select(col("id"), coalesce(length(col("text")), lit(0)).as("_len"));
    Dataset<Row> members =
        cc.components()
            .join(lengths, "id")
            .select(col("id"), col(CLUSTER_ID).as(CLUSTER), col("_len"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> survivors =
        members
            .groupBy(CLUSTER)
            .agg(
                min(struct(negate(col("_len")).as("l"), col("id").as("i")))
                    .getField("i")
                    .as(SURVIVOR),
                count(lit(1)).as("_size"));
    Dataset<Row> info =
        members
            .join(survivors, CLUSTER)
            .select(col("id").as("_near_id"), col(CLUSTER), col(SURVIVOR));
    Row clusterCounts =
        survivors
            .agg(count(lit(1)), coalesce(max("_size"), lit(0L)), coalesce(sum("_size"), lit(0L)))
            .first();
    long clusters = clusterCounts.getLong(0);
    long inClusters = clusterCounts.getLong(2);
    long rejectedCount = params.mode() == NearDedupParams.Mode.REMOVE ? inClusters - clusters : 0;
    stats.put("clusters", clusters);
    stats.put("largest_cluster", clusterCounts.getLong(1));
    stats.put("docs_in_clusters", inClusters);
    stats.put("kept", in - rejectedCount);
    stats.put("rejected", rejectedCount);
    stats.put("rejected_by_reason", Map.of(REASON_DUPLICATE, rejectedCount));

    Dataset<Row> joined = docs.join(info, docs.col("id").equalTo(info.col("_near_id")), "left");
    List<Column> keptCols = new ArrayList<>(inputCols);
    keptCols.add(coalesce(col(CLUSTER), col("id")).as(CLUSTER_ID));
    Dataset<Row> kept;
    Dataset<Row> rejected;
    if (params.mode() == NearDedupParams.Mode.REMOVE) {
      Column isSurvivorOrAlone = col(SURVIVOR).isNull().or(col(SURVIVOR).equalTo(col("id")));
      kept = joined.filter(isSurvivorOrAlone).select(keptCols.toArray(Column[]::new));
      List<Column> rejectedCols = new ArrayList<>(inputCols);
      rejectedCols.add(lit(NAME).as(StageResult.STEP));
      rejectedCols.add(lit(REASON_DUPLICATE).as(StageResult.REASON));
      rejectedCols.add(col(SURVIVOR).as(StageResult.DUPLICATE_OF));
      rejected = joined.filter(not(isSurvivorOrAlone)).select(rejectedCols.toArray(Column[]::new));
    } else {
      kept = joined.select(keptCols.toArray(Column[]::new));
      rejected =
          docs.sparkSession().createDataFrame(List.of(), StageResult.rejectedSchema(docs.schema()));
    }
    return new StageResult(kept, rejected, stats, List.of(members));
  }
}
