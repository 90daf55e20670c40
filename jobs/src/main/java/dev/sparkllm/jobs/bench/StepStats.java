package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.training.distributed.WireDtype;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's timed metrics.jsonl lines turned into a row. Medians over the timed steps: on a shared
 * machine one descheduled step would otherwise move a mean of five by tens of percent. Means are
 * kept in the JSON as well. When replicas synchronize every H &gt; 1 steps (local SGD, DiLoCo) one
 * step in H carries the whole exchange, and a median would leave it out: such rows use means over
 * the timed steps.
 */
final class StepStats {
  private StepStats() {}

  /** What was trained: the model's size and the sequences each replica takes per step. */
  record Shape(String preset, long params, int batch, int accum, int seq) {
    long tokensPerStep(int replicas) {
      return (long) batch * accum * seq * replicas;
    }
  }

  static TrainingRow.Measured measured(
      Shape s, String mode, int replicas, WireDtype wire, List<JsonNode> timed) {
    long tokensPerStep = s.tokensPerStep(replicas);
    List<Double> stepMs = new ArrayList<>();
    for (JsonNode m : timed) {
      // Each line covers one step (log_interval=1), so its tokens/s is that step's.
      stepMs.add(tokensPerStep / m.get("tokens_per_s").asDouble() * 1e3);
    }
    double step = typical(timed, stepMs);
    return new TrainingRow.Measured(
        s.preset(),
        s.params(),
        mode,
        replicas,
        wire,
        s.batch(),
        s.accum(),
        s.seq(),
        tokensPerStep,
        timed.size(),
        step,
        mean(stepMs),
        stepMs.stream().min(Double::compare).orElseThrow(),
        stepMs.stream().max(Double::compare).orElseThrow(),
        tokensPerStep / (step / 1e3),
        timed.get(timed.size() - 1).path("train_loss").asDouble());
  }

  static TrainingRow.Communication communication(
      Shape s, int replicas, WireDtype wire, List<JsonNode> timed) {
    List<Double> computeMs = new ArrayList<>();
    List<Double> commMs = new ArrayList<>();
    double sent = 0;
    double received = 0;
    for (JsonNode m : timed) {
      computeMs.add(m.path("compute_ms").asDouble());
      commMs.add(m.path("comm_ms").asDouble());
      sent += m.path("bytes_sent").asDouble();
      received += m.path("bytes_received").asDouble();
    }
    int k = timed.size();
    double compute = typical(timed, computeMs);
    double comm = typical(timed, commMs);
    long bytesSent = Math.round(sent / k);
    long bytesReceived = Math.round(received / k);
    Double mbPerS = comm > 0 ? (bytesSent + bytesReceived) / 1e6 / (comm / 1e3) : null;
    return new TrainingRow.Communication(
        compute,
        comm,
        mean(computeMs),
        mean(commMs),
        comm / (compute + comm),
        bytesSent,
        bytesReceived,
        frameBytes(s.params(), wire),
        mbPerS,
        mbPerS == null ? null : mbPerS * replicas);
  }

  /** One gradient frame: header plus every parameter and the loss at the wire's width. */
  static long frameBytes(long params, WireDtype wire) {
    return wire.frameBytes(params + 1);
  }

  /** The median, or the mean when the lines come from a run that synchronizes every H > 1 steps. */
  static double typical(List<JsonNode> timed, List<Double> xs) {
    boolean rounds = !timed.isEmpty() && timed.get(0).path("sync_every").asInt(1) > 1;
    return rounds ? mean(xs) : median(xs);
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
  }
}
