package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.jobs.bench.NetworkArgs.Variant;
import dev.sparkllm.training.DistributedTrainJob;
import dev.sparkllm.training.TokenShards;
import dev.sparkllm.training.TrainJob;
import dev.sparkllm.training.distributed.WireDtype;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/**
 * The training part of {@code benchmark distributed}: per preset, the single-replica {@link
 * TrainJob} as the baseline, then {@link DistributedTrainJob} at each replica count and wire type
 * on random token shards. The one place the benchmark calls into training's jobs.
 */
final class ScalingRuns {
  private final SparkSession spark;
  private final String configFile;
  private final List<String> overrides;
  private final Path work;
  private final int slots;
  private final List<Variant> variants;
  // Null unless the replicas sit behind shaped links.
  private final NetNamespaces nets;
  private final Link link;

  /**
   * {@code configFile} and {@code overrides} are the command's own (--config, --set), applied after
   * the benchmark's settings, so --set model.n_embd=32 shrinks the trained models.
   */
  ScalingRuns(SparkSession spark, String configFile, List<String> overrides, Path work, int slots) {
    this(spark, configFile, overrides, work, slots, List.of(Variant.DEFAULT), null, null);
  }

  /**
   * Runs every scheme in {@code variants}; with {@code nets}, the runs cross its links, currently
   * shaped to {@code link}, and report the bytes its ports counted.
   */
  ScalingRuns(
      SparkSession spark,
      String configFile,
      List<String> overrides,
      Path work,
      int slots,
      List<Variant> variants,
      NetNamespaces nets,
      Link link) {
    this.spark = spark;
    this.configFile = configFile;
    this.overrides = List.copyOf(overrides);
    this.work = work;
    this.slots = slots;
    this.variants = List.copyOf(variants);
    this.nets = nets;
    this.link = link;
  }

  /** Every preset's rows, after an untimed warm-up when there is anything to train. */
  List<TrainingRow> run(DistributedBenchOptions o) {
    return run(o, true);
  }

  /** As {@link #run(DistributedBenchOptions)}; {@code warm} false when a run before warmed up. */
  List<TrainingRow> run(DistributedBenchOptions o, boolean warm) {
    if (o.presets().isEmpty()) {
      return List.of();
    }
    if (warm) {
      warmUp(o);
    }
    List<TrainingRow> rows = new ArrayList<>();
    for (String preset : o.presets()) {
      rows.addAll(preset(o, preset));
    }
    return rows;
  }

  /**
   * Untimed tiny runs of both jobs first: otherwise the baseline, measured first, would also pay
   * for JIT compilation of the data, training and exchange paths, and every ratio would flatter the
   * distributed runs.
   */
  private void warmUp(DistributedBenchOptions o) {
    String preset = GptConfig.TINY;
    int batch = 2;
    DistributedBenchOptions w = o.forWarmUp(preset, batch);
    Config c = config(w, preset, batch, WireDtype.FP32);
    GptConfig model = GptConfig.fromConfig(c.section("model"), o.vocab());
    int seq = Math.min(w.seq(preset), model.contextLength());
    int replicas = Math.min(slots, o.replicas().stream().max(Integer::compare).orElse(1));
    String data = work.resolve("warmup-data").toString();
    writeShards(data, batch * replicas * (o.warmup() + 2) + batch, seq, o.vocab(), o.seed());
    TrainJob.run(spark, c, data, work.resolve("warmup-single").toString(), false);
    for (WireDtype wire : o.wires()) {
      DistributedTrainJob.run(
          spark,
          config(w, preset, batch, wire),
          data,
          work.resolve("warmup-" + wire).toString(),
          false,
          replicas);
    }
  }

  private List<TrainingRow> preset(DistributedBenchOptions o, String preset) {
    int batch = o.batch(preset);
    Config probe = config(o, preset, batch, WireDtype.FP32);
    GptConfig model = GptConfig.fromConfig(probe.section("model"), o.vocab());
    int seq = Math.min(o.seq(preset), model.contextLength());
    int accum = probe.getInt("training.grad_accum_steps");
    int maxReplicas = 1;
    for (int n : o.replicas()) {
      maxReplicas = n <= slots ? Math.max(maxReplicas, n) : maxReplicas;
    }
    int longest = o.warmup() + o.steps(preset);
    for (Variant v : variants) {
      longest = Math.max(longest, runSteps(o, preset, v));
    }
    // Enough rows that no rank wraps into a second epoch during the run.
    int rows = batch * accum * maxReplicas * longest + batch;
    String data = work.resolve("data-" + preset).toString();
    writeShards(data, rows, seq, o.vocab(), o.seed());

    List<TrainingRow> out = new ArrayList<>();
    StepStats.Shape shape = new StepStats.Shape(preset, model.parameterCount(), batch, accum, seq);
    String single = work.resolve("run-" + preset + "-single").toString();
    TrainJob.run(spark, probe, data, single, false);
    TrainingRow.Measured base =
        StepStats.measured(shape, "single", 1, null, readTimed(single, o.warmup()));
    out.add(new TrainingRow.Single(base));
    double baseTps = base.tokensPerS();
    for (WireDtype wire : o.wires()) {
      for (Variant v : variants) {
        out.addAll(variant(o, preset, batch, data, shape, baseTps, wire, v));
      }
    }
    return out;
  }

  /** One wire and scheme at every replica count. */
  private List<TrainingRow> variant(
      DistributedBenchOptions o,
      String preset,
      int batch,
      String data,
      StepStats.Shape shape,
      double baseTps,
      WireDtype wire,
      Variant v) {
    List<TrainingRow> out = new ArrayList<>();
    Double dist1 = null;
    String linkName = link == null ? null : link.name();
    for (int n : o.replicas()) {
      TrainingRow.Setup setup =
          new TrainingRow.Setup(linkName, v.sync(), v.syncEvery(), v.transport(), null);
      if (n > slots) {
        out.add(
            TrainingRow.NotRun.skipped(
                    preset,
                    n,
                    wire,
                    "needs "
                        + n
                        + " concurrent task slots; this session has "
                        + slots
                        + " (--master)")
                .with(setup));
        continue;
      }
      String run =
          work.resolve(
                  "run-"
                      + preset
                      + "-"
                      + wire
                      + "-"
                      + n
                      + (v.equals(Variant.DEFAULT) ? "" : "-" + v.label())
                      + (link == null ? "" : "-" + link.name()))
              .toString();
      Map<String, long[]> before = nets == null ? null : nets.counters();
      try {
        DistributedTrainJob.run(spark, config(o, preset, batch, wire, v), data, run, false, n);
      } catch (SparkLlmException e) {
        // One failed configuration (a diverged run, too little memory for a preset, a scheme
        // this build does not know) should not cost the rest of the measurements.
        out.add(TrainingRow.NotRun.failed(preset, n, wire, e.getMessage()).with(setup));
        continue;
      }
      int warmup = v.wholeRounds(o.warmup());
      TrainingRow.LinkBytes bytes =
          nets == null ? null : linkBytes(before, nets.counters(), n, runSteps(o, preset, v));
      List<JsonNode> timed = readTimed(run, warmup);
      TrainingRow.Measured r = StepStats.measured(shape, "distributed", n, wire, timed);
      double tps = r.tokensPerS();
      if (n == 1) {
        dist1 = tps;
      }
      out.add(
          new TrainingRow.Distributed(
              r,
              StepStats.communication(shape, n, wire, timed),
              tps / baseTps,
              tps / baseTps / n,
              dist1 == null ? null : tps / dist1,
              new TrainingRow.Setup(
                  linkName,
                  v.sync(),
                  v.syncEvery(),
                  v.transport(),
                  dist1 == null ? null : tps / dist1 / n),
              bytes));
    }
    return out;
  }

  /** Port counters over one run, per optimizer step: the driver's, and the workers' per replica. */
  static TrainingRow.LinkBytes linkBytes(
      Map<String, long[]> before, Map<String, long[]> after, int replicas, int steps) {
    long driver = 0;
    long workers = 0;
    for (Map.Entry<String, long[]> e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long moved = e.getValue()[0] - b[0] + e.getValue()[1] - b[1];
      if (e.getKey().equals("driver")) {
        driver += moved;
      } else {
        workers += moved;
      }
    }
    return new TrainingRow.LinkBytes(driver / steps, workers / replicas / steps);
  }

  private Config config(DistributedBenchOptions o, String preset, int batch, WireDtype wire) {
    return config(o, preset, batch, wire, Variant.DEFAULT);
  }

  private Config config(
      DistributedBenchOptions o, String preset, int batch, WireDtype wire, Variant v) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "model.preset=" + preset,
                "model.vocab_size=0",
                "training.batch_size=" + batch,
                "training.max_steps=" + runSteps(o, preset, v),
                "training.warmup_steps=0",
                "training.eval_interval=0",
                "training.checkpoint_interval=0",
                "training.log_interval=1",
                "training.threads=" + o.threads(),
                // A checksum round adds a parameter sum and two small frames to some steps; off,
                // every timed step moves exactly one gradient frame each way.
                "training.distributed.checksum_interval=0",
                "training.distributed.wire_dtype=" + wire.configName()));
    all.addAll(v.overrides());
    all.addAll(overrides);
    return Config.load(configFile, all);
  }

  /** Optimizer steps of one run of {@code v}: its warm-up and timed window, whole rounds each. */
  private static int runSteps(DistributedBenchOptions o, String preset, Variant v) {
    return v.wholeRounds(o.warmup()) + v.wholeRounds(o.steps(preset));
  }

  /** The metrics.jsonl lines after the warm-up steps. */
  static List<JsonNode> readTimed(String run, int warmup) {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Storage.readString(Storage.join(run, "metrics.jsonl")).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode m = Json.MAPPER.readTree(line);
        if (m.path("step").asLong() > warmup) {
          out.add(m);
        }
      } catch (IOException e) {
        throw new IllegalStateException("bad metrics line in " + run + ": " + line, e);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(run + "/metrics.jsonl holds no step after the warm-up");
    }
    return out;
  }

  /** DATA/tokens/split=train of random ids, and the manifest training reads. */
  private void writeShards(String dir, int rows, int seq, int vocab, long seed) {
    Random rnd = new Random(seed);
    List<int[]> data = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      data.add(rnd.ints(seq + 1, 0, vocab).toArray());
    }
    TokenShards.write(spark, dir, Map.of("train", data), seq, vocab, null);
  }
}
