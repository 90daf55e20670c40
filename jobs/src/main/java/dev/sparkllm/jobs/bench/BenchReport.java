package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.jobs.bench.AveragingServiceBench.ExchangeRow;
import dev.sparkllm.jobs.bench.CostModel.Estimate;
import java.io.PrintStream;
import java.util.Map;

/** distributed-benchmark.json and the tables a reader wants first; every number is in the JSON. */
public final class BenchReport {
  private BenchReport() {}

  /** Writes distributed-benchmark.json under the output directory and returns its path. */
  public static String write(DistributedBenchmark.Result result, String outputDir) {
    String path = Storage.join(outputDir, "distributed-benchmark.json");
    Json.writeFile(path, result);
    return path;
  }

  public static void print(DistributedBenchmark.Result result, PrintStream out) {
    out.printf("%s (%s, %s task slots)%n", result.execution(), result.master(), result.taskSlots());
    out.println();
    training(result, out);
    if (!result.links().isEmpty()) {
      out.println();
      links(result, out);
    }
    if (result.training().stream().anyMatch(BenchReport::hasScheme)) {
      out.println();
      schemes(result, out);
    }
    out.println();
    averagingService(result, out);
    if (!result.modelEstimates().isEmpty()) {
      out.println();
      estimates(result, out);
    }
    out.println();
    schemeModel(result, out);
  }

  private static void training(DistributedBenchmark.Result result, PrintStream out) {
    out.println("Training (tokens/s and speedup against the single-replica TrainJob of this run)");
    out.printf(
        "%-6s %-6s %4s %5s %10s %8s %6s %10s %9s %6s %12s %9s%n",
        "preset",
        "mode",
        "N",
        "wire",
        "tokens/s",
        "speedup",
        "eff",
        "compute ms",
        "comm ms",
        "comm%",
        "MB/step/rep",
        "MB/s/rep");
    String row = "%-6s %-6s %4d %5s %10.0f %7.2fx %5.0f%% %10s %9s %6s %12s %9s%n";
    for (TrainingRow r : result.training()) {
      if (r instanceof TrainingRow.NotRun n) {
        out.printf(
            "%-6s %-6s %4s %5s  %s: %s%n",
            n.preset(),
            "dist",
            n.replicas(),
            n.wire(),
            n.skipped() != null ? "skipped" : "FAILED",
            n.skipped() != null ? n.skipped() : n.failed());
      } else if (r instanceof TrainingRow.Single s) {
        out.printf(
            row,
            s.run().preset(),
            "single",
            s.run().replicas(),
            "-",
            s.run().tokensPerS(),
            s.speedupVsSingle(),
            100 * s.scalingEfficiency(),
            fmt("%.1f", s.run().stepMs()),
            "-",
            "-",
            "-",
            "-");
      } else if (r instanceof TrainingRow.Distributed d) {
        out.printf(
            row,
            d.run().preset(),
            "dist",
            d.run().replicas(),
            d.run().wire(),
            d.run().tokensPerS(),
            d.speedupVsSingle(),
            100 * d.scalingEfficiency(),
            fmt("%.1f", d.comm().computeMs()),
            fmt("%.1f", d.comm().commMs()),
            fmt("%.0f%%", 100 * d.comm().commShare()),
            fmt("%.2f", d.comm().bytesPerStep() / 1e6),
            fmt("%.0f", d.comm().replicaMbPerS()));
      }
    }
  }

  private static boolean hasScheme(TrainingRow r) {
    TrainingRow.Setup s =
        r instanceof TrainingRow.Distributed d
            ? d.setup()
            : r instanceof TrainingRow.NotRun n ? n.setup() : null;
    return s != null && !s.equals(TrainingRow.Setup.DEFAULT);
  }

  private static void links(DistributedBenchmark.Result result, PrintStream out) {
    out.println("Shaped links (TCP between the driver's and a worker's namespace, measured)");
    out.printf(
        "%-8s %12s %14s %16s %9s%n",
        "link", "rate MB/s", "to driver MB/s", "from driver MB/s", "achieved");
    for (LinkProbe.Result l : result.links()) {
      out.printf(
          "%-8s %12s %14.0f %16.0f %9s%n",
          l.link(),
          l.configuredMbPerS() == null ? "-" : fmt("%.0f", l.configuredMbPerS()),
          l.toDriverMbPerS(),
          l.fromDriverMbPerS(),
          l.achievedOverConfigured() == null
              ? "-"
              : fmt("%.0f%%", 100 * l.achievedOverConfigured()));
    }
  }

  /** The runs by link and scheme; efficiency against one replica of the same link and scheme. */
  private static void schemes(DistributedBenchmark.Result result, PrintStream out) {
    out.println(
        "By link and scheme (eff1: efficiency against one distributed replica of the same link,"
            + " scheme and wire; link MB: bytes the shaped ports counted per step)");
    out.printf(
        "%-6s %-7s %-16s %-9s %3s %5s %10s %6s %6s %9s %8s %6s %11s %13s%n",
        "preset",
        "link",
        "sync",
        "transport",
        "N",
        "wire",
        "tokens/s",
        "eff",
        "eff1",
        "compute",
        "comm",
        "comm%",
        "driver MB",
        "MB/replica");
    for (TrainingRow r : result.training()) {
      if (r instanceof TrainingRow.NotRun n && hasScheme(n)) {
        out.printf(
            "%-6s %-7s %-16s %-9s %3d %5s  %s: %s%n",
            n.preset(),
            orDash(n.setup().link()),
            sync(n.setup()),
            orDash(n.setup().transport()),
            n.replicas(),
            n.wire(),
            n.skipped() != null ? "skipped" : "FAILED",
            n.skipped() != null ? n.skipped() : n.failed());
      } else if (r instanceof TrainingRow.Distributed d && hasScheme(d)) {
        TrainingRow.Setup st = d.setup();
        out.printf(
            "%-6s %-7s %-16s %-9s %3d %5s %10.0f %5.0f%% %6s %9.1f %8.1f %5.0f%% %11s %13s%n",
            d.run().preset(),
            orDash(st.link()),
            sync(st),
            orDash(st.transport()),
            d.run().replicas(),
            d.run().wire(),
            d.run().tokensPerS(),
            100 * d.scalingEfficiency(),
            st.efficiencyVsDistributed1() == null
                ? "-"
                : fmt("%.0f%%", 100 * st.efficiencyVsDistributed1()),
            d.comm().computeMs(),
            d.comm().commMs(),
            100 * d.comm().commShare(),
            d.linkBytes() == null ? "-" : fmt("%.2f", d.linkBytes().driverLinkBytesPerStep() / 1e6),
            d.linkBytes() == null
                ? "-"
                : fmt("%.2f", d.linkBytes().replicaLinkBytesPerStep() / 1e6));
      }
    }
  }

  private static String sync(TrainingRow.Setup s) {
    if (s.sync() == null) {
      return "-";
    }
    return s.sync() + (s.syncEvery() == null ? "" : " H=" + s.syncEvery());
  }

  private static String orDash(String s) {
    return s == null ? "-" : s;
  }

  private static void averagingService(DistributedBenchmark.Result result, PrintStream out) {
    out.println("Averaging service alone (loopback, one round = every client sends and receives)");
    out.printf(
        "%-8s %11s %5s %7s %10s %10s %12s %10s %9s%n",
        "size",
        "params",
        "wire",
        "clients",
        "ms/round",
        "server ms",
        "MB/s/client",
        "driver MB/s",
        "bf16/fp32");
    for (ExchangeRow r : result.averagingService()) {
      if (!r.measured()) {
        out.printf(
            "%-8s %11d %5s %7d  skipped: %s%n",
            r.size(), r.parameters(), r.wire(), r.clients(), r.skipped());
        continue;
      }
      out.printf(
          "%-8s %11d %5s %7d %10.1f %10.1f %12.0f %10.0f %9s%n",
          r.size(),
          r.parameters(),
          r.wire(),
          r.clients(),
          r.rounds().msPerRound(),
          r.rounds().serverReduceMsPerRound(),
          r.rounds().clientMbPerS(),
          r.rounds().driverMbPerS(),
          r.bf16OverFp32Time() != null ? fmt("%.2fx", r.bf16OverFp32Time()) : "-");
    }
  }

  private static void estimates(DistributedBenchmark.Result result, PrintStream out) {
    out.println(
        "Model on paper with these numbers (docs/distributed-training.md): step = t_c + a + N*k");
    out.printf(
        "%-6s %5s %8s %7s %-20s %9s %7s %7s %7s %10s %8s %8s %8s%n",
        "preset",
        "wire",
        "t_c ms",
        "a ms",
        "network",
        "k ms",
        "E(1)",
        "E(2)",
        "E(8)",
        "weak lim",
        "best N",
        "ring E2",
        "ring E8");
    for (Estimate e : result.modelEstimates()) {
      for (CostModel.Network n : e.networks()) {
        Map<String, Double> eff = n.predictedEfficiencyByReplicas();
        out.printf(
            "%-6s %5s %8.1f %7.1f %-20s %9.1f %6.0f%% %6.0f%% %6.0f%% %9.1fx %8.1f %7.0f%% %7.0f%%%n",
            e.preset(),
            e.wire(),
            e.tcMs(),
            e.aMs(),
            n.network(),
            n.kMsPerReplica(),
            100 * eff.get("1"),
            100 * eff.get("2"),
            100 * eff.get("8"),
            n.weakScalingSpeedupLimit(),
            n.strongScalingBestReplicas(),
            100 * n.ringPredictedEfficiencyByReplicas().get("2"),
            100 * n.ringPredictedEfficiencyByReplicas().get("8"));
      }
      out.printf(
          "%-6s %5s measured efficiency by replicas: %s%n",
          e.preset(), e.wire(), percents(e.measuredEfficiencyByReplicas()));
    }
  }

  private static void schemeModel(DistributedBenchmark.Result result, PrintStream out) {
    out.println(
        "Model on paper, gpt2 on GPUs (100 TFLOP/s each) at a fixed global batch: synchronizing"
            + " every H steps x driver or ring (SchemeModel)");
    out.printf(
        "%9s %5s %5s %5s %-7s %9s %8s %7s %8s%n",
        "G tokens", "Gbit", "wire", "H", "via", "N at 50%", "S(8)", "E(8)", "S limit");
    for (SchemeModel.Row r : result.modelSyncTransport()) {
      out.printf(
          "%9d %5d %5s %5d %-7s %9.1f %7.2fx %6.0f%% %7.1fx%n",
          r.globalBatchTokens(),
          r.networkGbit(),
          r.wire(),
          r.syncEvery(),
          r.transport(),
          r.replicasAt50PercentEfficiency(),
          r.speedupAt8(),
          100 * r.efficiencyAt8(),
          r.speedupLimit());
    }
  }

  private static String percents(Map<String, Double> byN) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Double> e : byN.entrySet()) {
      sb.append(sb.length() == 0 ? "" : ", ")
          .append("N=")
          .append(e.getKey())
          .append(' ')
          .append(fmt("%.0f%%", 100 * e.getValue()));
    }
    return sb.length() == 0 ? "-" : sb.toString();
  }

  private static String fmt(String f, Object v) {
    return String.format(f, v);
  }
}
