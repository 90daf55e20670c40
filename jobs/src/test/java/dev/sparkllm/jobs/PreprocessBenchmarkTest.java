package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code benchmark preprocess} end to end at a toy size, so the command cannot rot: the JSON it
 * writes has every field and numbers that agree with each other. Never asserts speed.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PreprocessBenchmarkTest {
  @TempDir Path tmp;

  @Test
  void writesResultsForBothScalesWithTheCommandsSettings() throws Exception {
    CliCapture c =
        CliCapture.run(
            "benchmark",
            "preprocess",
            "--output",
            tmp.toString(),
            "--master",
            "local[2]",
            "--mb",
            "0.05",
            // Applied to the benchmarked preprocess: the language step leaves the step timings.
            "--set",
            "preprocess.language.enabled=false");
    assertThat(c.exitCode).isZero();
    assertThat(c.out).contains("throughput 4x/1x = ").contains("preprocess-benchmark.json");

    JsonNode r = Json.MAPPER.readTree(tmp.resolve("preprocess-benchmark.json").toFile());
    assertThat(r.get("benchmark").asText()).isEqualTo("preprocess");
    assertThat(r.get("cores").asInt()).isEqualTo(2);
    assertThat(r.get("base_mb").asDouble()).isEqualTo(0.05);
    JsonNode runs = r.get("runs");
    assertThat(runs).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode m = runs.get(i);
      int scale = i == 0 ? 1 : 4;
      assertThat(m.get("scale").asInt()).isEqualTo(scale);
      // The generator stops after the line that crosses the target: at most one document over.
      assertThat(m.get("input_mb").asDouble()).isBetween(0.05 * scale, 0.05 * scale + 0.1);
      assertThat(m.get("documents").asLong()).isPositive();
      assertThat(m.get("kept").asLong())
          .isPositive()
          .isLessThanOrEqualTo(m.get("documents").asLong());
      double seconds = m.get("seconds").asDouble();
      assertThat(seconds).isPositive();
      assertThat(m.get("mb_per_s").asDouble())
          .isCloseTo(
              m.get("input_mb").asDouble() / seconds, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(m.get("mb_per_s_per_core").asDouble())
          .isCloseTo(m.get("mb_per_s").asDouble() / 2, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(m.get("step_cpu_seconds").fieldNames())
          .toIterable()
          .contains("html_clean", "gopher_quality")
          .doesNotContain("language");
    }
    // 4x the input holds about 4x the documents.
    assertThat(runs.get(1).get("documents").asDouble() / runs.get(0).get("documents").asDouble())
        .isBetween(2.5, 6.0);
    assertThat(r.get("throughput_ratio_4x_over_1x").asDouble())
        .isCloseTo(
            runs.get(1).get("mb_per_s").asDouble() / runs.get(0).get("mb_per_s").asDouble(),
            org.assertj.core.data.Offset.offset(1e-9));
  }
}
