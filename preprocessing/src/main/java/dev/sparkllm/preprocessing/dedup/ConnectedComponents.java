package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.*;

import dev.sparkllm.core.SparkLlmException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Stage 4 of 4: connected components of the verified-edge graph, distributed.
 *
 * <p>Alternating large-star / small-star (Kiveris et al. 2014, "Connected Components in MapReduce
 * and Beyond"), on DataFrames. Edges are kept as {@code (u, v)} with {@code v < u} ("u points to
 * v"):
 *
 * <ul>
 *   <li>large-star: for every node {@code x} with neighbourhood {@code N(x)} (both directions) and
 *       {@code m = min(N(x) + x)}, link every neighbour {@code y > x} to {@code m};
 *   <li>small-star: for every node {@code u} with smaller neighbours {@code S(u)} and {@code m =
 *       min S(u)}, link {@code u} and every other member of {@code S(u)} to {@code m}.
 * </ul>
 *
 * Both keep each component connected and shrink its diameter; they converge in {@code O(log^2 n)}
 * rounds to stars centred on each component's smallest id. The loop stops as soon as the graph is
 * such a star forest (every node has one parent and no parent has a parent), which is checked
 * before the first round too: graphs of isolated pairs (the usual case) need no round. Each round
 * is materialized with a checkpoint so the plan does not grow with the number of rounds. Nothing is
 * collected to the driver.
 */
public final class ConnectedComponents {
  public static final String CLUSTER_ID = "cluster_id";

  private final int maxIterations;

  public ConnectedComponents(int maxIterations) {
    this.maxIterations = maxIterations;
  }

  /**
   * @param components {@code (id, cluster_id)} for every node with at least one edge; {@code
   *     cluster_id} is the smallest id of its component (its own id for the smallest)
   * @param iterations large-star/small-star rounds run
   */
  public record Result(Dataset<Row> components, int iterations) {}

  /**
   * @param edges {@code (src, dst)} string ids, any orientation, duplicates and loops allowed
   */
  public Result run(Dataset<Row> edges) {
    Dataset<Row> e =
        Lineage.cut(
            edges
                .select(
                    greatest(col("src"), col("dst")).as("u"), least(col("src"), col("dst")).as("v"))
                .filter(col("u").notEqual(col("v")))
                .distinct());
    int iterations = 0;
    while (!isStarForest(e)) {
      if (iterations == maxIterations) {
        throw new SparkLlmException(
            "near-duplicate clustering (connected components) did not converge after "
                + maxIterations
                + " iterations; raise preprocess.near_dedup.max_iterations");
      }
      e = Lineage.cut(smallStar(largeStar(e)));
      iterations++;
    }
    Dataset<Row> components =
        e.select(col("u").as("id"), col("v").as(CLUSTER_ID))
            .union(e.select(col("v").as("id"), col("v").as(CLUSTER_ID)).distinct());
    return new Result(components, iterations);
  }

  static Dataset<Row> largeStar(Dataset<Row> e) {
    Dataset<Row> sym =
        e.select(col("u").as("x"), col("v").as("y"))
            .union(e.select(col("v").as("x"), col("u").as("y")));
    Dataset<Row> mins = sym.groupBy("x").agg(min("y").as("m"));
    return sym.join(mins, "x")
        .filter(col("y").gt(col("x")))
        .select(col("y").as("u"), least(col("m"), col("x")).as("v"))
        .distinct();
  }

  static Dataset<Row> smallStar(Dataset<Row> e) {
    Dataset<Row> mins = e.groupBy("u").agg(min("v").as("m"));
    Dataset<Row> neighbours =
        e.join(mins, "u")
            .filter(col("v").notEqual(col("m")))
            .select(col("v").as("u"), col("m").as("v"));
    return neighbours.union(mins.select(col("u"), col("m").as("v"))).distinct();
  }

  /** True when every node has exactly one parent and every parent is a root. */
  static boolean isStarForest(Dataset<Row> e) {
    Dataset<Row> parents = e.select(col("u").as("p")).distinct();
    Row r =
        e.join(parents, col("v").equalTo(col("p")), "left")
            .agg(count(lit(1)), countDistinct(col("u")), count(col("p")))
            .first();
    return r.getLong(0) == r.getLong(1) && r.getLong(2) == 0;
  }
}
