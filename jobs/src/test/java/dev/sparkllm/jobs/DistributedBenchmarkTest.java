package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code benchmark distributed} end to end at a toy size: the JSON has every section and its
 * numbers agree with each other and with the wire format. Never asserts speed.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DistributedBenchmarkTest {
  // 2 layers × 32 wide, context 16, vocabulary 64, LM head tied to the token embedding:
  // wte 64·32 + wpe 16·32 + 2 blocks·(12·32² + 13·32) + final LayerNorm 2·32.
  static final long PARAMS = 64 * 32 + 16 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32;
  static final int HEADER = 27;

  @TempDir Path tmp;

  @Test
  void writesConsistentResultsForEveryRunAndExchange() throws Exception {
    CliCapture c =
        CliCapture.run(
            "benchmark",
            "distributed",
            "--output",
            tmp.toString(),
            "--master",
            "local[2]",
            "--presets",
            "tiny",
            "--replicas",
            "1,2",
            "--steps",
            "2",
            "--batch",
            "2",
            "--vocab",
            "64",
            "--micro-sizes",
            PARAMS + ",1000",
            "--micro-replicas",
            "1,2",
            "--micro-rounds",
            "2",
            "--micro-seconds",
            "0",
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
    assertThat(c.exitCode).isZero();
    assertThat(c.out)
        .contains("local mode: replicas are task threads of one JVM")
        .contains("Training (tokens/s and speedup")
        .contains("Averaging service alone")
        .contains("distributed-benchmark.json");

    JsonNode r = Json.MAPPER.readTree(tmp.resolve("distributed-benchmark.json").toFile());
    for (String key :
        List.of(
            "benchmark",
            "master",
            "task_slots",
            "execution",
            "settings",
            "training",
            "averaging_service",
            "model_estimates")) {
      assertThat(r.has(key)).as(key).isTrue();
    }
    assertThat(r.get("master").asText()).isEqualTo("local[2]");

    JsonNode training = r.get("training");
    // The baseline, then fp32 and bf16 at 1 and 2 replicas.
    assertThat(training).hasSize(5);
    JsonNode single = training.get(0);
    assertThat(single.get("mode").asText()).isEqualTo("single");
    assertThat(single.get("speedup_vs_single").asDouble()).isEqualTo(1.0);
    double baseTps = single.get("tokens_per_s").asDouble();
    assertThat(baseTps).isPositive();
    Map<String, Double> dist1 = new HashMap<>();
    List<String> seen = new ArrayList<>();
    for (JsonNode t : training) {
      assertThat(t.get("parameters").asLong()).isEqualTo(PARAMS);
      assertThat(t.get("timed_steps").asInt()).isEqualTo(2);
      assertThat(t.get("seq_len").asInt()).isEqualTo(16);
      assertThat(Double.isFinite(t.get("last_train_loss").asDouble())).isTrue();
      if (t.get("mode").asText().equals("single")) {
        continue;
      }
      int n = t.get("replicas").asInt();
      String wire = t.get("wire").asText();
      seen.add(wire + "x" + n);
      long bytes = HEADER + (wire.equals("bf16") ? 2 : 4) * (PARAMS + 1);
      assertThat(t.get("bytes_sent_per_step").asLong()).isEqualTo(bytes);
      assertThat(t.get("bytes_received_per_step").asLong()).isEqualTo(bytes);
      assertThat(t.get("bytes_per_step_model").asLong()).isEqualTo(bytes);
      assertThat(t.get("tokens_per_step").asLong()).isEqualTo(2L * 16 * n);
      double tps = t.get("tokens_per_s").asDouble();
      assertThat(tps).isPositive();
      assertThat(t.get("speedup_vs_single").asDouble()).isCloseTo(tps / baseTps, within(1e-9));
      assertThat(t.get("scaling_efficiency").asDouble()).isCloseTo(tps / baseTps / n, within(1e-9));
      assertThat(t.get("compute_ms").asDouble()).isPositive();
      assertThat(t.get("comm_ms").asDouble()).isPositive();
      assertThat(t.get("comm_share").asDouble()).isBetween(0.0, 1.0);
      double replicaMbs = t.get("replica_mb_per_s").asDouble();
      assertThat(replicaMbs)
          .isCloseTo(2.0 * bytes / 1e6 / (t.get("comm_ms").asDouble() / 1e3), within(1e-6));
      assertThat(t.get("driver_mb_per_s").asDouble()).isCloseTo(n * replicaMbs, within(1e-6));
      if (n == 1) {
        dist1.put(wire, tps);
      } else {
        assertThat(t.get("speedup_vs_distributed_1").asDouble())
            .isCloseTo(tps / dist1.get(wire), within(1e-9));
      }
    }
    assertThat(seen).containsExactly("fp32x1", "fp32x2", "bf16x1", "bf16x2");

    JsonNode micro = r.get("averaging_service");
    // 2 sizes × 2 client counts × fp32 and bf16.
    assertThat(micro).hasSize(8);
    for (JsonNode m : micro) {
      assertThat(m.has("skipped")).isFalse();
      long params = m.get("parameters").asLong();
      assertThat(params).isIn(PARAMS, 1000L);
      String wire = m.get("wire").asText();
      long frame = HEADER + (wire.equals("bf16") ? 2 : 4) * (params + 1);
      assertThat(m.get("frame_bytes_model").asLong()).isEqualTo(frame);
      // Each round a client sends its gradients and receives the average: one frame each way.
      assertThat(m.get("bytes_per_round_per_client").asLong()).isEqualTo(2 * frame);
      assertThat(m.get("rounds").asInt()).isGreaterThanOrEqualTo(2);
      double ms = m.get("ms_per_round").asDouble();
      assertThat(ms).isPositive();
      assertThat(m.get("ms_per_round_min").asDouble()).isPositive().isLessThanOrEqualTo(ms);
      assertThat(m.get("server_reduce_ms_per_round").asDouble()).isPositive();
      double client = m.get("client_mb_per_s").asDouble();
      assertThat(client).isCloseTo(2.0 * frame / 1e6 / (ms / 1e3), within(1e-6));
      assertThat(m.get("driver_mb_per_s").asDouble())
          .isCloseTo(m.get("clients").asInt() * client, within(1e-6));
      assertThat(m.has("bf16_over_fp32_time")).isEqualTo(wire.equals("bf16"));
    }

    // The trained model's size was also exchanged alone, so the paper model has its inputs.
    JsonNode est = r.get("model_estimates");
    assertThat(est).hasSize(2);
    for (JsonNode e : est) {
      String wire = e.get("wire").asText();
      double tc = e.get("t_c_ms").asDouble();
      double a = e.get("a_ms").asDouble();
      double kCpu = e.get("k_driver_cpu_ms_per_replica").asDouble();
      assertThat(tc).isEqualTo(single.get("step_ms").asDouble());
      assertThat(a).isNotNegative();
      assertThat(kCpu).isPositive();
      assertThat(e.get("frame_bytes").asLong())
          .isEqualTo(HEADER + (wire.equals("bf16") ? 2 : 4) * (PARAMS + 1));
      assertThat(e.at("/measured_efficiency_by_replicas/2").asDouble()).isPositive();
      JsonNode nets = e.get("networks");
      assertThat(nets).hasSize(4);
      assertThat(nets.get(0).get("k_ms_per_replica").asDouble()).isEqualTo(kCpu);
      JsonNode ten = nets.get(2);
      assertThat(ten.get("network").asText()).isEqualTo("10 Gbit/s");
      double k = ten.get("k_ms_per_replica").asDouble();
      assertThat(k)
          .isCloseTo(kCpu + 2.0 * e.get("frame_bytes").asLong() / 1.25e9 * 1e3, within(1e-9));
      assertThat(ten.at("/predicted_efficiency_by_replicas/2").asDouble())
          .isCloseTo(tc / (tc + a + 2 * k), within(1e-9));
      assertThat(ten.get("weak_scaling_speedup_limit").asDouble()).isCloseTo(tc / k, within(1e-9));
      assertThat(ten.get("strong_scaling_best_replicas").asDouble())
          .isCloseTo(Math.sqrt(tc / k), within(1e-9));
    }
    assertThat(Files.isDirectory(tmp.resolve("distributed-work"))).isTrue();
  }
}
