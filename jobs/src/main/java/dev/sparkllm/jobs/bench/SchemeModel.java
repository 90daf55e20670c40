package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;

/**
 * The cost model on paper (docs/distributed-training.md) with its two new dimensions: how often
 * replicas synchronize (every step, or every H steps for local SGD and DiLoCo, which exchange one
 * parameter-sized frame per H steps) and which wires the bytes take (through the driver, or a ring
 * among the executors). Strong scaling: a global batch of G tokens per optimizer step split over N
 * replicas, so
 *
 * <pre>
 *   t(N)   = t_c1/N + x(N)/H            t_c1 = 6·P·G/F, the whole batch's compute on one replica
 *   driver: x(N) = N·k,                 k = 2·b·P/B + P·c_r   (the driver's NIC both ways + its CPU)
 *   ring:   x(N) = (N−1)/N·r,           r = 2·b·P/B + P·c_r   (each replica's own link; no overlap)
 *   E(N)   = t_c1 / (N·t(N))
 * </pre>
 *
 * Through the driver, t(N) is least at N* = sqrt(H·t_c1/k), where E = 50%. The ring has no such
 * optimum: t(N) keeps falling towards r/H, so its speedup is bounded by H·t_c1/r, and E reaches 50%
 * at N = 1 + H·t_c1/r. Both are reported as "N at 50% efficiency".
 */
final class SchemeModel {
  /** An A100 in bf16 at 30% MFU, as the rest of the page assumes. */
  static final double GPU_FLOPS = 100e12;

  static final long GPT2_PARAMS = 124_439_808L;
  static final List<Long> GLOBAL_BATCH = List.of(491_520L, 4_194_304L);
  static final List<Integer> GBIT = List.of(10, 25);
  static final List<Integer> SYNC_EVERY = List.of(1, 20, 100, 500);
  static final int AT = 8;

  private SchemeModel() {}

  /** One scheme on one network, for gpt2 at one global batch. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Row(
      String model,
      long parameters,
      long globalBatchTokens,
      int networkGbit,
      String wire,
      // "step" at H = 1; "local_sgd/diloco" otherwise: both move one frame per H steps.
      String sync,
      int syncEvery,
      String transport,
      @JsonProperty("t_c1_ms") double tC1Ms,
      double exchangeMsAt8,
      double replicasAt50PercentEfficiency,
      double speedupAt8,
      double efficiencyAt8,
      double speedupLimit,
      long replicaBytesPerStepAt8,
      long driverBytesPerStepAt8) {}

  static List<Row> gpuRows() {
    List<Row> out = new ArrayList<>();
    for (long g : GLOBAL_BATCH) {
      for (int gbit : GBIT) {
        for (String wire : List.of("fp32", "bf16")) {
          for (int h : SYNC_EVERY) {
            for (String transport : List.of("driver", "ring")) {
              out.add(row(GPT2_PARAMS, g, gbit, wire, h, transport));
            }
          }
        }
      }
    }
    return out;
  }

  static Row row(long p, long g, int gbit, String wire, int h, String transport) {
    int b = wire.equals("bf16") ? 2 : 4;
    // Decode + add per value per replica on the driver's one reduction thread (measured, see page).
    double cr = wire.equals("bf16") ? 3e-9 : 2e-9;
    double bw = gbit * 1e9 / 8;
    double tc1 = 6.0 * p * g / GPU_FLOPS;
    double perReplica = 2.0 * b * p / bw + p * cr;
    boolean ring = transport.equals("ring");
    double x8 = ring ? (AT - 1.0) / AT * perReplica : AT * perReplica;
    double t8 = tc1 / AT + x8 / h;
    double nHalf = ring ? 1 + h * tc1 / perReplica : Math.sqrt(h * tc1 / perReplica);
    double limit =
        ring
            ? h * tc1 / perReplica
            // Best speedup through the driver, reached at N*: t_c1 / (2·sqrt(t_c1·k/H)).
            : tc1 / (2 * Math.sqrt(tc1 * perReplica / h));
    long frame = 27 + (long) b * (p + 1);
    long replicaBytes =
        ring ? Math.round(2.0 * 2 * (AT - 1) / AT * b * p / h) : Math.round(2.0 * frame / h);
    long driverBytes = ring ? 0 : Math.round(2.0 * AT * frame / h);
    return new Row(
        "gpt2",
        p,
        g,
        gbit,
        wire,
        h == 1 ? "step" : "local_sgd/diloco",
        h,
        transport,
        tc1 * 1e3,
        x8 * 1e3,
        nHalf,
        tc1 / t8,
        tc1 / t8 / AT,
        limit,
        replicaBytes,
        driverBytes);
  }
}
