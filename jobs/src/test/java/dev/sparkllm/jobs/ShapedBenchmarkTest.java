package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.jobs.bench.NetNamespacesProbe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code benchmark distributed --link 1gbit} end to end: a standalone Master, one Worker per
 * replica in its own namespace, a toy model at 1 and 2 replicas, and rows whose bytes the shaped
 * ports confirm. Needs root (CI runs as root; elsewhere it fails saying so).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ShapedBenchmarkTest {
  @TempDir Path tmp;

  @Test
  void runsReplicasBehindShapedLinksAndReportsTheirTraffic() throws Exception {
    CliCapture c =
        CliCapture.run(
            "benchmark",
            "distributed",
            "--output",
            tmp.toString(),
            "--link",
            "1gbit",
            "--presets",
            "tiny",
            "--replicas",
            "1,2",
            "--wire",
            "fp32",
            "--steps",
            "3",
            "--batch",
            "2",
            "--vocab",
            "64",
            "--micro-sizes",
            "none",
            "--worker-memory",
            "1536",
            "--conf",
            "spark.executor.memory=768m",
            "--set",
            "model.context_length=16",
            "--set",
            "model.n_layer=2",
            "--set",
            "model.n_head=2",
            "--set",
            "model.n_embd=32",
            "--set",
            "model.dropout=0.0");
    assertThat(c.exitCode).as(c.err).isZero();
    assertThat(c.out).contains("Shaped links").contains("By link and scheme");

    JsonNode r = Json.MAPPER.readTree(tmp.resolve("distributed-benchmark.json").toFile());
    assertThat(r.get("execution").asText()).startsWith("shaped links");
    assertThat(r.get("master").asText()).matches("spark://10\\.231\\.0\\.1:\\d+");
    JsonNode link = r.get("links").get(0);
    assertThat(link.get("link").asText()).isEqualTo("1gbit");
    assertThat(link.get("configured_mb_per_s").asDouble()).isEqualTo(125.0);
    // Never above the rate; the lower bound leaves room for a heavily loaded machine.
    assertThat(link.get("achieved_over_configured").asDouble()).isBetween(0.1, 1.04);

    long frame = DistributedBenchmarkTest.HEADER + 4 * (DistributedBenchmarkTest.PARAMS + 1);
    List<Integer> replicas = new ArrayList<>();
    double tps1 = 0;
    for (JsonNode t : r.get("training")) {
      assertThat(t.has("failed")).as(t.toString()).isFalse();
      if (t.get("mode").asText().equals("single")) {
        continue;
      }
      int n = t.get("replicas").asInt();
      replicas.add(n);
      assertThat(t.get("link").asText()).isEqualTo("1gbit");
      assertThat(t.get("timed_steps").asInt()).isEqualTo(3);
      assertThat(t.get("bytes_sent_per_step").asLong()).isEqualTo(frame);
      double tps = t.get("tokens_per_s").asDouble();
      assertThat(tps).isPositive();
      if (n == 1) {
        tps1 = tps;
        assertThat(t.get("efficiency_vs_distributed_1").asDouble()).isEqualTo(1.0);
      } else {
        assertThat(t.get("efficiency_vs_distributed_1").asDouble())
            .isCloseTo(tps / tps1 / n, within(1e-9));
      }
      // Every step each replica's frame goes in through the driver's port and the average comes
      // back out, so the port counts at least 2·N frames per step (plus Spark's own traffic and
      // TCP/IP headers); each worker's port at least one frame each way.
      long driver = t.get("driver_link_bytes_per_step").asLong();
      assertThat(driver).isBetween(2L * n * frame, 2L * n * frame * 11 / 10 + (2L << 20));
      assertThat(t.get("replica_link_bytes_per_step").asLong())
          .isBetween(2L * frame, 2L * frame * 11 / 10 + (2L << 20));
      assertThat(t.get("compute_ms").asDouble()).isPositive();
      assertThat(t.get("comm_ms").asDouble()).isPositive();
    }
    assertThat(replicas).containsExactly(1, 2);
    assertThat(r.get("model_sync_transport")).isNotEmpty();
    // Nothing of the shaped network outlives the command.
    assertThat(NetNamespacesProbe.leftovers()).isEmpty();
  }
}
