package dev.sparkllm.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sync × transport model against hand-computed values and the page's existing table. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SchemeModelTest {
  static final long P = SchemeModel.GPT2_PARAMS;

  @Test
  void everyStepThroughTheDriverReproducesThePagesStrongScalingTable() {
    // docs/distributed-training.md: N* 1.9 (0.5M tokens, 10 Gbit/s, fp32), 5.5 (4M), 7.7 (4M,
    // 25 Gbit/s, bf16).
    assertThat(SchemeModel.row(P, 491_520, 10, "fp32", 1, "driver").replicasAt50PercentEfficiency())
        .isCloseTo(1.9, within(0.05));
    assertThat(
            SchemeModel.row(P, 4_194_304, 10, "fp32", 1, "driver").replicasAt50PercentEfficiency())
        .isCloseTo(5.5, within(0.05));
    assertThat(
            SchemeModel.row(P, 4_194_304, 25, "bf16", 1, "driver").replicasAt50PercentEfficiency())
        .isCloseTo(7.7, within(0.05));
  }

  @Test
  void syncEveryHStepsDividesTheExchangeAndTheBytes() {
    long g = 491_520;
    double tc1 = 6.0 * P * g / 100e12;
    double k = 2.0 * 4 * P / 1.25e9 + P * 2e-9;
    SchemeModel.Row step = SchemeModel.row(P, g, 10, "fp32", 1, "driver");
    SchemeModel.Row h20 = SchemeModel.row(P, g, 10, "fp32", 20, "driver");
    assertThat(h20.sync()).isEqualTo("local_sgd/diloco");
    assertThat(step.tC1Ms()).isCloseTo(tc1 * 1e3, within(1e-6));
    assertThat(h20.replicasAt50PercentEfficiency())
        .isCloseTo(Math.sqrt(20 * tc1 / k), within(1e-9));
    assertThat(h20.speedupAt8()).isCloseTo(tc1 / (tc1 / 8 + 8 * k / 20), within(1e-9));
    long frame = 27 + 4 * (P + 1);
    assertThat(step.replicaBytesPerStepAt8()).isEqualTo(2 * frame);
    assertThat(step.driverBytesPerStepAt8()).isEqualTo(16 * frame);
    assertThat(h20.driverBytesPerStepAt8()).isEqualTo(Math.round(16.0 * frame / 20));
  }

  @Test
  void theRingKeepsBytesOffTheDriverAndHasNoOptimum() {
    long g = 491_520;
    double tc1 = 6.0 * P * g / 100e12;
    double r = 2.0 * 2 * P / 3.125e9 + P * 3e-9;
    SchemeModel.Row ring = SchemeModel.row(P, g, 25, "bf16", 1, "ring");
    assertThat(ring.driverBytesPerStepAt8()).isZero();
    // 2·(N−1)/N·P·b each way.
    assertThat(ring.replicaBytesPerStepAt8()).isEqualTo(Math.round(2 * 2.0 * 7 / 8 * 2 * P));
    assertThat(ring.exchangeMsAt8()).isCloseTo(7.0 / 8 * r * 1e3, within(1e-9));
    assertThat(ring.replicasAt50PercentEfficiency()).isCloseTo(1 + tc1 / r, within(1e-9));
    assertThat(ring.speedupLimit()).isCloseTo(tc1 / r, within(1e-9));
    // At the same network and batch the ring beats the driver from a few replicas on.
    assertThat(ring.speedupAt8())
        .isGreaterThan(SchemeModel.row(P, g, 25, "bf16", 1, "driver").speedupAt8());
  }
}
