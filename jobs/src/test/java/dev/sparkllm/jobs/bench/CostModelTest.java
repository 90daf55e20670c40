package dev.sparkllm.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transport dimension of the paper model, pinned to the figures docs/distributed-training.md
 * quotes.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CostModelTest {
  @Test
  void theRingsCostPerReplicaStopsGrowingWhileTheDriversGrowsWithN() {
    // gpt2 in fp32 at 10 Gbit/s with nanoGPT's default micro-batch on a GPU (t_c = 61 ms): one
    // 497.8 MB frame takes 398 ms on a link; a = 0 isolates the wire.
    double tc = 61;
    double frameMs = 497.76e6 / 1.25e9 * 1e3;
    CostModel.Network n = CostModel.network("10 Gbit/s", tc, 0, 2 * frameMs, frameMs);
    // One replica on the ring exchanges nothing; through the driver it pays the round trip.
    assertThat(n.ringPredictedEfficiencyByReplicas().get("1")).isEqualTo(1.0);
    assertThat(n.predictedEfficiencyByReplicas().get("1")).isCloseTo(0.071, within(0.001));
    // N = 2: one frame's worth each way, overlapped, against the driver's four frames through its
    // NIC.
    assertThat(n.ringPredictedEfficiencyByReplicas().get("2"))
        .isCloseTo(tc / (tc + frameMs), within(1e-12));
    assertThat(n.predictedEfficiencyByReplicas().get("8")).isCloseTo(0.0095, within(0.0005));
    assertThat(n.ringPredictedEfficiencyByReplicas().get("8")).isCloseTo(0.080, within(0.001));
    assertThat(n.ringCommMsLimit()).isCloseTo(2 * frameMs, within(1e-9));
    assertThat(CostModel.ringCommMs(1000, 0, frameMs)).isLessThan(n.ringCommMsLimit());
  }
}
