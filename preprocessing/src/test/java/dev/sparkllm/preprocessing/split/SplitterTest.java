package dev.sparkllm.preprocessing.split;

import static org.apache.spark.sql.functions.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.SparkTestBase;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SplitterTest extends SparkTestBase {

  /** 10k ids in 1000 clusters of 10 (cluster_id = "c" + id / 10), plus a text column. */
  private static Dataset<Row> docs() {
    return spark
        .range(10_000)
        .select(
            concat(lit("doc-"), col("id")).as("id"),
            lit("some text").as("text"),
            concat(lit("c"), floor(col("id").divide(10))).as("cluster_id"));
  }

  private static Map<String, String> splits(Dataset<Row> d) {
    Map<String, String> out = new HashMap<>();
    d.select("id", "split").collectAsList().forEach(r -> out.put(r.getString(0), r.getString(1)));
    return out;
  }

  @Test
  void fractionsAreRespectedAndIdsWithoutClustersWork() {
    Splitter s = new Splitter(new double[] {0.8, 0.1, 0.1}, 42);
    SplitResult r = s.apply(docs().drop("cluster_id"));
    assertThat(r.counts().keySet()).containsExactly("train", "validation", "test");
    assertThat(r.counts().get("train") / 10_000.0).isCloseTo(0.8, within(0.02));
    assertThat(r.counts().get("validation") / 10_000.0).isCloseTo(0.1, within(0.02));
    assertThat(r.counts().get("test") / 10_000.0).isCloseTo(0.1, within(0.02));
    assertThat(r.stats()).containsEntry("in", 10_000L).containsEntry("key", "id");
    assertThat(r.docs().columns()).containsExactly("id", "text", "split");
  }

  @Test
  void deterministicAcrossRunsAndPartitionings() {
    Splitter s = new Splitter(new double[] {0.8, 0.1, 0.1}, 42);
    Map<String, String> a = splits(s.apply(docs()).docs());
    Map<String, String> b =
        splits(new Splitter(new double[] {0.8, 0.1, 0.1}, 42).apply(docs().repartition(7)).docs());
    assertThat(a).hasSize(10_000).isEqualTo(b);
    Map<String, String> otherSeed =
        splits(new Splitter(new double[] {0.8, 0.1, 0.1}, 43).apply(docs()).docs());
    assertThat(otherSeed).isNotEqualTo(a);
  }

  @Test
  void aClusterNeverStraddlesSplits() {
    SplitResult r = new Splitter(new double[] {0.5, 0.25, 0.25}, 7).apply(docs());
    long straddling =
        r.docs()
            .groupBy("cluster_id")
            .agg(countDistinct("split").as("n"))
            .filter(col("n").gt(1))
            .count();
    assertThat(straddling).isZero();
    // 1000 clusters: fractions hold per cluster, so per document too.
    assertThat(r.counts().get("train") / 10_000.0).isCloseTo(0.5, within(0.05));
    assertThat(r.stats()).containsEntry("key", "cluster_id");
  }

  @Test
  void zeroFractionsGetNothingAndEmptySplitsAreReported() {
    SplitResult r = new Splitter(new double[] {1.0, 0.0, 0.0}, 42).apply(docs());
    assertThat(r.counts()).containsEntry("train", 10_000L).containsEntry("validation", 0L);
    assertThat((List<?>) r.stats().get("empty_splits")).isEmpty();

    // Two documents cannot fill three splits: left as is, reported.
    SplitResult tiny =
        new Splitter(new double[] {0.34, 0.33, 0.33}, 42).apply(docs().limit(2).drop("cluster_id"));
    assertThat(tiny.counts().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
    assertThat((List<?>) tiny.stats().get("empty_splits")).isNotEmpty();
  }

  @Test
  void defaultsLoadAndBadFractionsFailClearly() {
    Splitter fromConfig = new Splitter(Config.defaults().section("preprocess.split"), 42);
    assertThat(fromConfig.apply(docs()).counts().get("train")).isGreaterThan(9_700L);

    assertThatThrownBy(() -> new Splitter(new double[] {0.9, 0.2, 0.0}, 1))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.split")
        .hasMessageContaining("sum to 1");
    assertThatThrownBy(() -> new Splitter(new double[] {1.1, -0.1, 0.0}, 1))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.split.train");
    Config bad =
        Config.load(null, List.of("preprocess.split.train=0.5")).section("preprocess.split");
    assertThatThrownBy(() -> new Splitter(bad, 1))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.split");
  }
}
