package dev.sparkllm.preprocessing.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.SparkTestBase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ExactDedupTest extends SparkTestBase {

  private static Dataset<Row> docs() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("text", DataTypes.StringType)
            .add("source", DataTypes.StringType);
    List<Row> rows =
        List.of(
            RowFactory.create("d3", "Hello \u00a0 World!", "a"),
            RowFactory.create("d1", "hello world", "b"),
            RowFactory.create("d2", "  HELLO\tworld...", "c"),
            // Punctuation inside the text is content, not formatting.
            RowFactory.create("d4", "hello, world", "d"),
            RowFactory.create("d5", "Something\n\nelse", "e"),
            RowFactory.create("d0", "something else", "f"),
            RowFactory.create("d6", "unique text", "g"));
    return spark.createDataFrame(rows, schema);
  }

  @Test
  void caseAndWhitespaceVariantsCollapseToTheSmallestId() {
    Dataset<Row> in = docs();
    StageResult r = new ExactDedup(Config.defaults().section("preprocess.exact_dedup")).apply(in);

    assertThat(r.kept().columns()).containsExactly("id", "text", "source");
    Map<String, String> kept = new TreeMap<>();
    r.kept().collectAsList().forEach(row -> kept.put(row.getString(0), row.getString(2)));
    assertThat(kept).isEqualTo(Map.of("d0", "f", "d1", "b", "d4", "d", "d6", "g"));

    assertThat(r.rejected().columns())
        .containsExactly("id", "text", "source", "step", "reason", "duplicate_of");
    Map<String, String> dupOf = new TreeMap<>();
    for (Row row : r.rejected().collectAsList()) {
      assertThat(row.getString(3)).isEqualTo("exact_dedup");
      assertThat(row.getString(4)).isEqualTo("exact_duplicate");
      dupOf.put(row.getString(0), row.getString(5));
    }
    assertThat(dupOf).isEqualTo(Map.of("d2", "d1", "d3", "d1", "d5", "d0"));

    assertThat(r.stats())
        .containsEntry("in", 7L)
        .containsEntry("kept", 4L)
        .containsEntry("rejected", 3L)
        .containsEntry("clusters", 2L)
        .containsEntry("largest_cluster", 3L);
    assertThat(r.kept().count() + r.rejected().count()).isEqualTo(in.count());
    r.release();
  }

  @Test
  void disabledPassesEverythingThrough() {
    Config off =
        Config.load(null, List.of("preprocess.exact_dedup.enabled=false"))
            .section("preprocess.exact_dedup");
    StageResult r = new ExactDedup(off).apply(docs());
    assertThat(r.kept().count()).isEqualTo(7);
    assertThat(r.rejected().count()).isZero();
    assertThat(r.rejected().columns())
        .containsExactly("id", "text", "source", "step", "reason", "duplicate_of");
  }
}
