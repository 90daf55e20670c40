package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.sparkllm.jobs.bench.AveragingServiceBench.ExchangeRow;
import dev.sparkllm.training.distributed.WireDtype;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model on paper (docs/distributed-training.md) fed with this run's numbers: per preset and
 * wire, the step time t_c + a + N·k, where t_c is the baseline's step, a the exchange of one client
 * minus the driver's share (replica-side encode/decode and the loopback copies, paid in parallel by
 * every replica), and k what the driver pays per replica: its decode/average/encode time (measured
 * at the most clients) plus, for a real network of B bytes/s, 2·frame/B through its NIC.
 *
 * <p>The ring transport ({@code training.distributed.transport: ring}) has no driver term: each
 * replica sends and receives 2·(N−1)/N of a frame on its own full-duplex link while it decodes and
 * adds as much, so its step is t_c + 2·(N−1)/N·(a + frame/B), with a (one frame encoded and one
 * decoded by a replica) standing in for the ring's per-frame CPU. It is t_c at N = 1 (no exchange)
 * and tends to t_c + 2·(a + frame/B): the cost per replica no longer grows with N.
 */
final class CostModel {
  /** Networks the estimates are made for, in Gbit/s, besides this run's loopback. */
  static final List<Integer> NETWORK_GBIT = List.of(1, 10, 25);

  private CostModel() {}

  /** One preset and wire: the model's inputs, the measured efficiencies and the predictions. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Estimate(
      String preset,
      @JsonSerialize(using = ToStringSerializer.class) WireDtype wire,
      long parameters,
      long frameBytes,
      @JsonProperty("t_c_ms") double tcMs,
      double aMs,
      double kDriverCpuMsPerReplica,
      String kFrom,
      Map<String, Double> measuredEfficiencyByReplicas,
      List<Network> networks) {}

  /** The model's predictions on one network. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Network(
      String network,
      double kMsPerReplica,
      Map<String, Double> predictedEfficiencyByReplicas,
      double weakScalingSpeedupLimit,
      double strongScalingBestReplicas,
      Map<String, Double> ringPredictedEfficiencyByReplicas,
      double ringCommMsLimit) {}

  static List<Estimate> estimates(List<TrainingRow> training, List<ExchangeRow> micro) {
    List<Estimate> out = new ArrayList<>();
    for (TrainingRow row : training) {
      if (!(row instanceof TrainingRow.Single base)) {
        continue;
      }
      String preset = base.run().preset();
      long params = base.run().parameters();
      double tc = base.run().stepMs();
      for (WireDtype wire : List.of(WireDtype.FP32, WireDtype.BF16)) {
        List<ExchangeRow> cases =
            micro.stream()
                .filter(ExchangeRow::measured)
                .filter(m -> m.wire() == wire)
                .filter(m -> m.parameters() == params)
                .sorted(Comparator.comparingInt(ExchangeRow::clients))
                .toList();
        if (cases.isEmpty() || cases.get(0).clients() != 1) {
          continue;
        }
        ExchangeRow one = cases.get(0);
        ExchangeRow most = cases.get(cases.size() - 1);
        double kCpu = most.rounds().serverReduceMsPerRound() / most.clients();
        double a = Math.max(0, one.rounds().msPerRound() - one.rounds().serverReduceMsPerRound());
        Map<String, Double> measured = new LinkedHashMap<>();
        for (TrainingRow r : training) {
          if (r instanceof TrainingRow.Distributed d
              && preset.equals(d.run().preset())
              && d.run().wire() == wire) {
            measured.put(String.valueOf(d.run().replicas()), d.scalingEfficiency());
          }
        }
        long frame = StepStats.frameBytes(params, wire);
        List<Network> nets = new ArrayList<>();
        nets.add(network("loopback (this run)", tc, a, kCpu, 0));
        for (int gbit : NETWORK_GBIT) {
          double oneWayMs = frame / (gbit * 1e9 / 8) * 1e3;
          nets.add(network(gbit + " Gbit/s", tc, a, kCpu + 2 * oneWayMs, oneWayMs));
        }
        out.add(
            new Estimate(
                preset,
                wire,
                params,
                frame,
                tc,
                a,
                kCpu,
                "averaging service, " + most.clients() + " clients",
                measured,
                nets));
      }
    }
    return out;
  }

  /**
   * @param k the driver's cost per replica
   * @param frameMs one frame over one replica's link (0 on loopback, where a already holds it)
   */
  static Network network(String name, double tc, double a, double k, double frameMs) {
    Map<String, Double> eff = new LinkedHashMap<>();
    Map<String, Double> ring = new LinkedHashMap<>();
    for (int replicas : List.of(1, 2, 8)) {
      eff.put(String.valueOf(replicas), tc / (tc + a + k * replicas));
      ring.put(String.valueOf(replicas), tc / (tc + ringCommMs(replicas, a, frameMs)));
    }
    return new Network(
        name,
        k,
        eff,
        // Same batch per replica: N·t_c/(t_c + a + kN) rises towards t_c/k and never falls.
        tc / k,
        // One global batch split over N: t_c/N + a + kN is least at sqrt(t_c/k), at 50% efficiency.
        Math.sqrt(tc / k),
        ring,
        // The ring's cost per step stops growing: a global batch split over more replicas keeps
        // getting faster as long as t_c1/N is more than this.
        2 * (a + frameMs));
  }

  /** A ring replica's exchange per step: 2·(N−1)/N frames each way, overlapped, plus their CPU. */
  static double ringCommMs(int replicas, double a, double frameMs) {
    return 2.0 * (replicas - 1) / replicas * (a + frameMs);
  }
}
