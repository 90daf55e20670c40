package dev.sparkllm.preprocessing.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.SparkTestBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest extends SparkTestBase {

  private static Dataset<Row> edges(String... pairs) {
    List<Row> rows = new ArrayList<>();
    for (String p : pairs) {
      String[] ends = p.split("-");
      rows.add(RowFactory.create(ends[0], ends[1]));
    }
    return edges(rows);
  }

  private static Dataset<Row> edges(List<Row> rows) {
    StructType schema =
        new StructType().add("src", DataTypes.StringType).add("dst", DataTypes.StringType);
    return spark.createDataFrame(rows, schema);
  }

  private static Map<String, String> labels(Dataset<Row> components) {
    Map<String, String> out = new HashMap<>();
    for (Row r : components.collectAsList()) {
      assertThat(out.put(r.getString(0), r.getString(1))).as("one row per node").isNull();
    }
    return out;
  }

  @Test
  void chainsStarsAndSeparateComponents() {
    ConnectedComponents.Result r =
        new ConnectedComponents(40)
            .run(
                edges(
                    // chain whose smallest id sits in the middle, one edge reversed, one repeated
                    "c4-c2",
                    "c2-c1",
                    "c3-c1",
                    "c3-c5",
                    "c5-c3",
                    // star centred on a node that is not the smallest
                    "s5-s1",
                    "s5-s2",
                    "s5-s3",
                    "s5-s4",
                    "s5-s9",
                    // two components of two nodes
                    "p1-p2",
                    "q2-q1",
                    // a self-loop only: not a component member
                    "z1-z1"));
    Map<String, String> expected = new HashMap<>();
    for (String n : List.of("c1", "c2", "c3", "c4", "c5")) {
      expected.put(n, "c1");
    }
    for (String n : List.of("s1", "s2", "s3", "s4", "s5", "s9")) {
      expected.put(n, "s1");
    }
    expected.put("p1", "p1");
    expected.put("p2", "p1");
    expected.put("q1", "q1");
    expected.put("q2", "q1");
    assertThat(labels(r.components())).isEqualTo(expected);
  }

  @Test
  void isolatedPairsNeedNoIteration() {
    ConnectedComponents.Result r = new ConnectedComponents(40).run(edges("b-a", "c-d"));
    assertThat(r.iterations()).isZero();
    assertThat(labels(r.components())).isEqualTo(Map.of("a", "a", "b", "a", "c", "c", "d", "c"));
  }

  @Test
  void emptyGraph() {
    ConnectedComponents.Result r = new ConnectedComponents(40).run(edges(new String[0]));
    assertThat(r.components().count()).isZero();
    assertThat(r.iterations()).isZero();
  }

  /** 200 nodes in a path, labels shuffled so the smallest id is far from most nodes. */
  private static List<Row> longChain() {
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      nodes.add(String.format("n%03d", i));
    }
    Collections.shuffle(nodes, new Random(3));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i + 1 < nodes.size(); i++) {
      rows.add(RowFactory.create(nodes.get(i), nodes.get(i + 1)));
    }
    return rows;
  }

  @Test
  void longChainConvergesUnderTheCap() {
    long t0 = System.nanoTime();
    long cpu0 = processCpuNanos();
    ConnectedComponents.Result r = new ConnectedComponents(40).run(edges(longChain()));
    Map<String, String> got = labels(r.components());
    assertThat(got).hasSize(200);
    assertThat(got.values()).containsOnly("n000");
    assertThat(r.iterations()).isBetween(1, 20);
    System.out.printf(
        "ConnectedComponents: 200-node chain, %d iterations, %.1f s wall, %.1f s process CPU%n",
        r.iterations(), (System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
  }

  @Test
  void iterationCapFailsWithAClearError() {
    assertThatThrownBy(() -> new ConnectedComponents(1).run(edges(longChain())))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("did not converge after 1 iterations")
        .hasMessageContaining("preprocess.near_dedup.max_iterations");
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
