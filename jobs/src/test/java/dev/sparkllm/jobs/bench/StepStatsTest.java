package dev.sparkllm.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.distributed.WireDtype;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StepStatsTest {
  static final StepStats.Shape SHAPE = new StepStats.Shape("tiny", 1000, 4, 1, 100);

  /** Four 100 ms steps and one of 500 ms that carries the round's exchange (400 ms of it). */
  private static List<JsonNode> steps(Integer syncEvery) {
    long tokens = SHAPE.tokensPerStep(2);
    List<JsonNode> lines = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      boolean sync = i == 5;
      double ms = sync ? 500 : 100;
      StringBuilder j = new StringBuilder("{\"step\":" + i);
      j.append(",\"tokens_per_s\":").append(tokens / (ms / 1e3));
      j.append(",\"compute_ms\":100,\"comm_ms\":").append(sync ? 400 : 0);
      j.append(",\"bytes_sent\":").append(sync ? 5000 : 0).append(",\"bytes_received\":0");
      j.append(",\"train_loss\":1.0");
      if (syncEvery != null) {
        j.append(",\"sync\":\"diloco\",\"sync_every\":").append(syncEvery);
      }
      lines.add(parse(j.append('}').toString()));
    }
    return lines;
  }

  private static JsonNode parse(String s) {
    try {
      return Json.MAPPER.readTree(s);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRunThatSynchronizesEveryHStepsCountsItsRoundsExchange() {
    List<JsonNode> timed = steps(5);
    TrainingRow.Measured m = StepStats.measured(SHAPE, "distributed", 2, WireDtype.FP32, timed);
    // Five steps took 900 ms: 180 ms a step, not the 100 ms a median of the steps would say.
    assertThat(m.stepMs()).isCloseTo(180.0, within(1e-6));
    TrainingRow.Communication c = StepStats.communication(SHAPE, 2, WireDtype.FP32, timed);
    assertThat(c.commMs()).isCloseTo(80.0, within(1e-6));
    assertThat(c.bytesSentPerStep()).isEqualTo(1000);
  }

  @Test
  void everyStepRunsKeepTheMedianAgainstOneDescheduledStep() {
    List<JsonNode> timed = steps(null);
    assertThat(StepStats.measured(SHAPE, "distributed", 2, WireDtype.FP32, timed).stepMs())
        .isCloseTo(100.0, within(1e-6));
  }
}
