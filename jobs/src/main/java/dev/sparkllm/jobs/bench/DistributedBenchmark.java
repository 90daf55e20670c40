package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.DistributedTrainJob;
import dev.sparkllm.training.TokenShards;
import dev.sparkllm.training.TrainJob;
import dev.sparkllm.training.distributed.GradientClient;
import dev.sparkllm.training.distributed.GradientServer;
import dev.sparkllm.training.distributed.WireDtype;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * Data-parallel scaling and the cost of the driver's gradient averaging (not a test).
 *
 * <ol>
 *   <li>Training: per preset, the single-replica {@link TrainJob} as the baseline, then {@link
 *       DistributedTrainJob} at each replica count and wire type, on random token shards; per run
 *       tokens/s, speedup and scaling efficiency against the baseline of the same run, compute and
 *       communication ms per step, bytes per step and achieved MB/s while communicating.
 *   <li>Averaging service: a {@link GradientServer} and N {@link GradientClient}s on loopback
 *       threads exchanging buffers of a model's parameter count in fp32 and bf16: ms per round,
 *       MB/s per client and through the driver, the server's own decode/average/encode time.
 * </ol>
 *
 * The model on paper these numbers feed is docs/distributed-training.md.
 */
public final class DistributedBenchmark {
  /** GPT-2's own vocabulary, so the gpt2 size is the 124M everyone quotes. */
  static final int GPT2_VOCAB = 50257;

  /** What to measure. Per-preset maps may hold "*" for every other preset. */
  public record Options(
      List<String> presets,
      List<Integer> replicas,
      List<String> wires,
      Map<String, Integer> steps,
      int warmup,
      Map<String, Integer> batch,
      Map<String, Integer> seq,
      int vocab,
      int threads,
      List<String> microSizes,
      List<Integer> microReplicas,
      int microRounds,
      double microSeconds,
      long seed) {
    public Options {
      // "none" runs only the other part.
      presets = presets.equals(List.of("none")) ? List.of() : List.copyOf(presets);
      microSizes = microSizes.equals(List.of("none")) ? List.of() : List.copyOf(microSizes);
      if (warmup < 1) {
        // The first step also carries the connection handshake and cold kernels.
        throw new SparkLlmException("--warmup must be >= 1, got " + warmup);
      }
      if (microRounds < 1) {
        throw new SparkLlmException("--micro-rounds must be >= 1, got " + microRounds);
      }
      for (String w : wires) {
        if (!w.equals("fp32") && !w.equals("bf16")) {
          throw new SparkLlmException("--wire takes fp32 and/or bf16, got '" + w + "'");
        }
      }
      for (int n : replicas) {
        if (n < 1) {
          throw new SparkLlmException("--replicas must be >= 1, got " + n);
        }
      }
      for (int n : microReplicas) {
        if (n < 1) {
          throw new SparkLlmException("--micro-replicas must be >= 1, got " + n);
        }
      }
    }

    int perPreset(Map<String, Integer> m, String preset, String option) {
      Integer v = m.getOrDefault(preset, m.get("*"));
      if (v == null || v < 1) {
        throw new SparkLlmException(option + " has no positive value for preset " + preset);
      }
      return v;
    }
  }

  private DistributedBenchmark() {}

  /**
   * Runs both parts. {@code configFile} and {@code overrides} are the command's own (--config,
   * --set); they are applied after the benchmark's settings, so --set model.n_embd=32 shrinks the
   * trained models.
   */
  public static Map<String, Object> run(
      SparkSession spark, String configFile, List<String> overrides, Path work, Options o)
      throws IOException {
    deleteTree(work);
    Files.createDirectories(work);
    String master = spark.sparkContext().master();
    int slots = spark.sparkContext().defaultParallelism();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("benchmark", "distributed");
    result.put("master", master);
    result.put("task_slots", slots);
    result.put("cores", Runtime.getRuntime().availableProcessors());
    result.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1 << 20));
    result.put("execution", executionNote(master));
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("presets", o.presets());
    settings.put("replicas", o.replicas());
    settings.put("wires", o.wires());
    settings.put("warmup_steps", o.warmup());
    settings.put("timed_steps", o.steps());
    settings.put("batch", o.batch());
    settings.put("seq", o.seq());
    settings.put("vocab", o.vocab());
    settings.put("torch_threads_per_replica", o.threads());
    settings.put("checksum_interval", 0);
    settings.put("micro_sizes", o.microSizes());
    settings.put("micro_replicas", o.microReplicas());
    settings.put("micro_min_rounds", o.microRounds());
    settings.put("micro_min_seconds", o.microSeconds());
    settings.put("overrides", overrides);
    result.put("settings", settings);

    if (!o.presets().isEmpty()) {
      warmUp(spark, configFile, overrides, work, o, slots);
    }
    List<Map<String, Object>> training = new ArrayList<>();
    for (String preset : o.presets()) {
      training.addAll(trainPreset(spark, configFile, overrides, work, o, preset, slots));
    }
    result.put("training", training);
    List<Map<String, Object>> micro = averagingService(o);
    result.put("averaging_service", micro);
    result.put("model_estimates", estimates(training, micro));
    return result;
  }

  /**
   * Spark settings that let {@code --master local-cluster[N,1,MB]} start executor JVMs from this
   * (non-distribution) classpath: the driver's classpath for the executors, the project's jars in
   * spark.jars (without them Spark's executor class loader cannot resolve the tasks' classes) and
   * the driver's module openings. Spark itself reads SPARK_HOME, SPARK_TESTING and
   * SPARK_SCALA_VERSION from the environment, which a running JVM cannot set.
   */
  public static List<String> localClusterConf() {
    List<String> missing = new ArrayList<>();
    for (String env : List.of("SPARK_HOME", "SPARK_TESTING", "SPARK_SCALA_VERSION")) {
      if (System.getenv(env) == null) {
        missing.add(env);
      }
    }
    if (!missing.isEmpty()) {
      throw new SparkLlmException(
          "--master local-cluster outside a Spark distribution needs "
              + missing
              + " in the environment, e.g. SPARK_HOME=/tmp SPARK_TESTING=1"
              + " SPARK_SCALA_VERSION=2.13 bin/spark-llm benchmark distributed ...");
    }
    String cp = System.getProperty("java.class.path");
    List<String> jars = new ArrayList<>();
    for (String entry : cp.split(java.io.File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.startsWith("spark-llm-") && name.endsWith(".jar") && !name.endsWith("-tests.jar")) {
        jars.add(Path.of(entry).toUri().toString());
      }
    }
    if (jars.isEmpty()) {
      throw new SparkLlmException(
          "--master local-cluster needs the project's jars on the classpath (run through"
              + " bin/spark-llm after a package build)");
    }
    StringBuilder opts = new StringBuilder("-Dai.djl.offline=true");
    for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")
          || a.startsWith("--add-exports")
          || a.startsWith("-Djdk.reflect")
          || a.startsWith("-Dio.netty")) {
        opts.append(' ').append(a);
      }
    }
    return List.of(
        "spark.executor.extraClassPath=" + cp,
        "spark.jars=" + String.join(",", jars),
        "spark.executor.extraJavaOptions=" + opts);
  }

  static String executionNote(String master) {
    if (master.startsWith("local[") || master.equals("local")) {
      return "local mode: replicas are task threads of one JVM sharing its cores and heap, and the"
          + " gradients cross loopback TCP; speedups are bounded by the cores, not the network";
    }
    if (master.startsWith("local-cluster")) {
      return "local-cluster: one executor JVM per replica on this machine; gradients cross"
          + " loopback TCP";
    }
    return "cluster: replicas in executors, gradients over the network to the driver";
  }

  // ---- training runs ------------------------------------------------------------------------

  /**
   * Untimed tiny runs of both jobs first: otherwise the baseline, measured first, would also pay
   * for JIT compilation of the data, training and exchange paths, and every ratio would flatter the
   * distributed runs.
   */
  private static void warmUp(
      SparkSession spark,
      String configFile,
      List<String> overrides,
      Path work,
      Options o,
      int slots) {
    String preset = GptConfig.TINY;
    int batch = 2;
    Options w =
        new Options(
            List.of(preset),
            o.replicas(),
            o.wires(),
            Map.of("*", 2),
            o.warmup(),
            Map.of("*", batch),
            o.seq(),
            o.vocab(),
            o.threads(),
            List.of(),
            List.of(),
            o.microRounds(),
            o.microSeconds(),
            o.seed());
    Config c = config(configFile, overrides, w, preset, batch, "fp32");
    GptConfig model = GptConfig.fromConfig(c.section("model"), o.vocab());
    int seq = Math.min(w.perPreset(o.seq(), preset, "--seq"), model.contextLength());
    int replicas = Math.min(slots, o.replicas().stream().max(Integer::compare).orElse(1));
    String data = work.resolve("warmup-data").toString();
    writeShards(spark, data, batch * replicas * (o.warmup() + 2) + batch, seq, o.vocab(), o.seed());
    TrainJob.run(spark, c, data, work.resolve("warmup-single").toString(), false);
    for (String wire : o.wires()) {
      DistributedTrainJob.run(
          spark,
          config(configFile, overrides, w, preset, batch, wire),
          data,
          work.resolve("warmup-" + wire).toString(),
          false,
          replicas);
    }
  }

  private static List<Map<String, Object>> trainPreset(
      SparkSession spark,
      String configFile,
      List<String> overrides,
      Path work,
      Options o,
      String preset,
      int slots) {
    int batch = o.perPreset(o.batch(), preset, "--batch");
    Config probe = config(configFile, overrides, o, preset, batch, "fp32");
    GptConfig model = GptConfig.fromConfig(probe.section("model"), o.vocab());
    int seq = Math.min(o.perPreset(o.seq(), preset, "--seq"), model.contextLength());
    int accum = probe.getInt("training.grad_accum_steps");
    long params = model.parameterCount();
    int maxReplicas = 1;
    for (int n : o.replicas()) {
      maxReplicas = n <= slots ? Math.max(maxReplicas, n) : maxReplicas;
    }
    // Enough rows that no rank wraps into a second epoch during the run.
    int steps = o.perPreset(o.steps(), preset, "--steps");
    int rows = batch * accum * maxReplicas * (o.warmup() + steps) + batch;
    String data = work.resolve("data-" + preset).toString();
    writeShards(spark, data, rows, seq, o.vocab(), o.seed());

    List<Map<String, Object>> out = new ArrayList<>();
    Shape shape = new Shape(preset, params, batch, accum, seq);
    String single = work.resolve("run-" + preset + "-single").toString();
    TrainJob.run(spark, probe, data, single, false);
    Map<String, Object> base = row(shape, "single", 1, null, readTimed(single, o.warmup()));
    out.add(base);
    double baseTps = (double) base.get("tokens_per_s");
    for (String wire : o.wires()) {
      Double dist1 = null;
      for (int n : o.replicas()) {
        Map<String, Object> r;
        if (n > slots) {
          r = new LinkedHashMap<>();
          r.put("preset", preset);
          r.put("mode", "distributed");
          r.put("replicas", n);
          r.put("wire", wire);
          r.put(
              "skipped",
              "needs " + n + " concurrent task slots; this session has " + slots + " (--master)");
          out.add(r);
          continue;
        }
        String run = work.resolve("run-" + preset + "-" + wire + "-" + n).toString();
        Config c = config(configFile, overrides, o, preset, batch, wire);
        try {
          DistributedTrainJob.run(spark, c, data, run, false, n);
        } catch (SparkLlmException e) {
          // One failed configuration (a diverged run, too little memory for a preset) should
          // not cost the rest of the measurements.
          r = new LinkedHashMap<>();
          r.put("preset", preset);
          r.put("mode", "distributed");
          r.put("replicas", n);
          r.put("wire", wire);
          r.put("failed", e.getMessage());
          out.add(r);
          continue;
        }
        r = row(shape, "distributed", n, wire, readTimed(run, o.warmup()));
        double tps = (double) r.get("tokens_per_s");
        if (n == 1) {
          dist1 = tps;
        }
        r.put("speedup_vs_single", tps / baseTps);
        r.put("scaling_efficiency", tps / baseTps / n);
        r.put("speedup_vs_distributed_1", dist1 == null ? null : tps / dist1);
        out.add(r);
      }
    }
    base.put("speedup_vs_single", 1.0);
    base.put("scaling_efficiency", 1.0);
    return out;
  }

  private static Config config(
      String configFile, List<String> overrides, Options o, String preset, int batch, String wire) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "model.preset=" + preset,
                "model.vocab_size=0",
                "training.batch_size=" + batch,
                "training.max_steps=" + (o.warmup() + o.perPreset(o.steps(), preset, "--steps")),
                "training.warmup_steps=0",
                "training.eval_interval=0",
                "training.checkpoint_interval=0",
                "training.log_interval=1",
                "training.threads=" + o.threads(),
                // A checksum round adds a parameter sum and two small frames to some steps; off,
                // every timed step moves exactly one gradient frame each way.
                "training.distributed.checksum_interval=0",
                "training.distributed.wire_dtype=" + wire));
    all.addAll(overrides);
    return Config.load(configFile, all);
  }

  private record Shape(String preset, long params, int batch, int accum, int seq) {}

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

  /**
   * Medians over the timed steps: on a shared machine one descheduled step would otherwise move a
   * mean of five by tens of percent. Means are kept in the JSON as well.
   */
  private static Map<String, Object> row(
      Shape s, String mode, int replicas, String wire, List<JsonNode> timed) {
    long tokensPerStep = (long) s.batch() * s.accum() * s.seq() * replicas;
    List<Double> stepMs = new ArrayList<>();
    List<Double> computeMs = new ArrayList<>();
    List<Double> commMs = new ArrayList<>();
    double sent = 0;
    double received = 0;
    for (JsonNode m : timed) {
      // Each line covers one step (log_interval=1), so its tokens/s is that step's.
      stepMs.add(tokensPerStep / m.get("tokens_per_s").asDouble() * 1e3);
      computeMs.add(m.path("compute_ms").asDouble());
      commMs.add(m.path("comm_ms").asDouble());
      sent += m.path("bytes_sent").asDouble();
      received += m.path("bytes_received").asDouble();
    }
    int k = timed.size();
    double step = median(stepMs);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("preset", s.preset());
    r.put("parameters", s.params());
    r.put("mode", mode);
    r.put("replicas", replicas);
    r.put("wire", wire);
    r.put("batch_per_replica", s.batch());
    r.put("grad_accum_steps", s.accum());
    r.put("seq_len", s.seq());
    r.put("tokens_per_step", tokensPerStep);
    r.put("timed_steps", k);
    r.put("step_ms", step);
    r.put("step_ms_mean", mean(stepMs));
    r.put("step_ms_min", stepMs.stream().min(Double::compare).orElseThrow());
    r.put("step_ms_max", stepMs.stream().max(Double::compare).orElseThrow());
    r.put("tokens_per_s", tokensPerStep / (step / 1e3));
    r.put("last_train_loss", timed.get(k - 1).path("train_loss").asDouble());
    if (mode.equals("distributed")) {
      double compute = median(computeMs);
      double comm = median(commMs);
      long bytesSent = Math.round(sent / k);
      long bytesReceived = Math.round(received / k);
      r.put("compute_ms", compute);
      r.put("comm_ms", comm);
      r.put("compute_ms_mean", mean(computeMs));
      r.put("comm_ms_mean", mean(commMs));
      r.put("comm_share", comm / (compute + comm));
      r.put("bytes_sent_per_step", bytesSent);
      r.put("bytes_received_per_step", bytesReceived);
      r.put("bytes_per_step_model", frameBytes(s.params(), wire));
      // JSON has no Infinity: a run too short to time its exchange reports null.
      Double mbPerS = comm > 0 ? (bytesSent + bytesReceived) / 1e6 / (comm / 1e3) : null;
      r.put("replica_mb_per_s", mbPerS);
      r.put("driver_mb_per_s", mbPerS == null ? null : mbPerS * replicas);
    }
    return r;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
  }

  /** One gradient frame: header plus every parameter and the loss at the wire's width. */
  static long frameBytes(long params, String wire) {
    return WireDtype.parse(wire).frameBytes(params + 1);
  }

  /** DATA/tokens/split=train of random ids, and the manifest training reads. */
  static void writeShards(SparkSession spark, String dir, int rows, int seq, int vocab, long seed) {
    Random rnd = new Random(seed);
    List<int[]> data = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      data.add(rnd.ints(seq + 1, 0, vocab).toArray());
    }
    TokenShards.write(spark, dir, Map.of("train", data), seq, vocab, null);
  }

  // ---- averaging service --------------------------------------------------------------------

  private static List<Map<String, Object>> averagingService(Options o) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String size : o.microSizes()) {
      long params = microParams(size, o.vocab());
      int count = Math.toIntExact(params + 1);
      float[] grads = null;
      for (int n : o.microReplicas()) {
        Map<String, Double> fp32Ms = new LinkedHashMap<>();
        for (String wire : List.of("fp32", "bf16")) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("size", size);
          r.put("parameters", params);
          r.put("wire", wire);
          r.put("clients", n);
          String tooBig = memoryCheck(params, n, wire);
          if (tooBig != null) {
            r.put("skipped", tooBig);
            out.add(r);
            continue;
          }
          if (grads == null) {
            grads = gradients(count, o.seed());
          }
          r.putAll(exchange(grads, n, wire, o.microRounds(), o.microSeconds()));
          double ms = (double) r.get("ms_per_round");
          if (wire.equals("fp32")) {
            fp32Ms.put(size, ms);
          } else if (fp32Ms.containsKey(size)) {
            r.put("bf16_over_fp32_time", ms / fp32Ms.get(size));
          }
          out.add(r);
        }
      }
    }
    return out;
  }

  /** A preset's parameter count (tiny and mini at the benchmark's vocab, gpt2 at 50257), or N. */
  static long microParams(String size, int vocab) {
    if (size.matches("\\d+")) {
      return Long.parseLong(size);
    }
    return GptConfig.preset(size, size.equals(GptConfig.GPT2) ? GPT2_VOCAB : vocab)
        .parameterCount();
  }

  /**
   * Null when the case fits the heap, else why not. Live at once: the clients' shared input, each
   * client's received payload and decoded average, the server's decoded contribution per rank, its
   * average and its encoded reply.
   */
  static String memoryCheck(long params, int clients, String wire) {
    long b = wire.equals("bf16") ? 2 : 4;
    long need = 8 * params + params * b + clients * (8 * params + 2 * params * b);
    System.gc();
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (need < free * 0.9) {
      return null;
    }
    return String.format(
        "needs about %.1f GB of heap, %.1f GB free; raise SPARK_LLM_HEAP", need / 1e9, free / 1e9);
  }

  private static float[] gradients(int count, long seed) {
    // Gradient-like magnitudes; the cost of the exchange does not depend on the values.
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] g = new float[count];
    for (int i = 0; i < count; i++) {
      g[i] = (float) ((rnd.nextDouble() - 0.5) * 1e-3);
    }
    return g;
  }

  /**
   * One warm-up round, then timed rounds until at least {@code minRounds} and {@code minSeconds}
   * are done (small buffers take well under a millisecond, so a fixed count would time the
   * scheduler). All clients start each round together (a barrier), as replicas finishing backward
   * at the same time would; a round lasts until the slowest client has its average.
   */
  private static Map<String, Object> exchange(
      float[] grads, int n, String wire, int minRounds, double minSeconds) {
    List<List<Long>> nanos = new ArrayList<>();
    long[] bytes = new long[n];
    for (int c = 0; c < n; c++) {
      nanos.add(new ArrayList<>());
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (GradientServer server = new GradientServer("127.0.0.1", 0, n, Duration.ofMinutes(5))) {
      long[] reduce = new long[2];
      long[] timedStart = new long[1];
      int[] timedRounds = new int[1];
      AtomicInteger trips = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      // Runs once per round before any client is released, so every client sees the same answer.
      CyclicBarrier barrier =
          new CyclicBarrier(
              n,
              () -> {
                int round = trips.getAndIncrement();
                long now = System.nanoTime();
                if (round == 1) {
                  reduce[0] = server.reduceNanos();
                  timedStart[0] = now;
                }
                if (round > minRounds && now - timedStart[0] >= minSeconds * 1e9) {
                  reduce[1] = server.reduceNanos();
                  timedRounds[0] = round - 1;
                  stop.set(true);
                }
              });
      List<Thread> threads = new ArrayList<>();
      for (int rank = 0; rank < n; rank++) {
        int me = rank;
        Thread t =
            new Thread(
                () -> {
                  try (GradientClient c =
                      new GradientClient(
                          "127.0.0.1",
                          server.port(),
                          me,
                          n,
                          0,
                          WireDtype.parse(wire),
                          Duration.ofMinutes(5))) {
                    long before = 0;
                    for (int r = 0; ; r++) {
                      barrier.await();
                      if (stop.get()) {
                        break;
                      }
                      if (r == 1) {
                        before = c.bytesSent() + c.bytesReceived();
                      }
                      long t0 = System.nanoTime();
                      float[] avg = c.average(r, grads);
                      long took = System.nanoTime() - t0;
                      if (r > 0) {
                        nanos.get(me).add(took);
                      }
                      if (avg.length != grads.length) {
                        throw new IllegalStateException("average of " + avg.length + " values");
                      }
                    }
                    bytes[me] = c.bytesSent() + c.bytesReceived() - before;
                    c.finish(); // a clean end, not a lost rank the server would report
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    barrier.reset();
                  }
                },
                "bench-client-" + rank);
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      if (failure.get() != null) {
        throw new IllegalStateException("averaging benchmark failed", failure.get());
      }
      int rounds = timedRounds[0];
      List<Double> roundMs = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        long slowest = 0;
        for (int c = 0; c < n; c++) {
          slowest = Math.max(slowest, nanos.get(c).get(r));
        }
        roundMs.add(slowest / 1e6);
      }
      double perClient = bytes[0] / (double) rounds;
      double ms = median(roundMs);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("rounds", rounds);
      r.put("bytes_per_round_per_client", Math.round(perClient));
      r.put("frame_bytes_model", frameBytes(grads.length - 1, wire));
      r.put("ms_per_round", ms);
      r.put("ms_per_round_mean", mean(roundMs));
      r.put("ms_per_round_min", roundMs.stream().min(Double::compare).orElseThrow());
      r.put("client_mb_per_s", perClient / 1e6 / (ms / 1e3));
      r.put("driver_mb_per_s", n * perClient / 1e6 / (ms / 1e3));
      r.put("server_reduce_ms_per_round", (reduce[1] - reduce[0]) / 1e6 / rounds);
      return r;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the gradient service", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- the model on paper, fed with this run's numbers ---------------------------------------

  /** Networks the estimates are made for, in Gbit/s, besides this run's loopback. */
  static final List<Integer> NETWORK_GBIT = List.of(1, 10, 25);

  /**
   * Per preset and wire, docs/distributed-training.md's step time t_c + a + N·k with this run's
   * numbers: t_c is the baseline's step, a the exchange of one client minus the driver's share
   * (replica-side encode/decode and the loopback copies, paid in parallel by every replica), and k
   * what the driver pays per replica: its decode/average/encode time (measured at the most clients)
   * plus, for a real network of B bytes/s, 2·frame/B through its NIC.
   */
  static List<Map<String, Object>> estimates(
      List<Map<String, Object>> training, List<Map<String, Object>> micro) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> base : training) {
      if (!"single".equals(base.get("mode"))) {
        continue;
      }
      String preset = (String) base.get("preset");
      long params = ((Number) base.get("parameters")).longValue();
      double tc = (double) base.get("step_ms");
      for (String wire : List.of("fp32", "bf16")) {
        List<Map<String, Object>> cases =
            micro.stream()
                .filter(m -> !m.containsKey("skipped"))
                .filter(m -> wire.equals(m.get("wire")))
                .filter(m -> ((Number) m.get("parameters")).longValue() == params)
                .sorted(Comparator.comparingInt(m -> (int) m.get("clients")))
                .toList();
        if (cases.isEmpty() || (int) cases.get(0).get("clients") != 1) {
          continue;
        }
        Map<String, Object> one = cases.get(0);
        Map<String, Object> most = cases.get(cases.size() - 1);
        double kCpu = (double) most.get("server_reduce_ms_per_round") / (int) most.get("clients");
        double a =
            Math.max(
                0,
                (double) one.get("ms_per_round") - (double) one.get("server_reduce_ms_per_round"));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("preset", preset);
        e.put("wire", wire);
        e.put("parameters", params);
        e.put("frame_bytes", frameBytes(params, wire));
        e.put("t_c_ms", tc);
        e.put("a_ms", a);
        e.put("k_driver_cpu_ms_per_replica", kCpu);
        e.put("k_from", "averaging service, " + most.get("clients") + " clients");
        Map<String, Object> measured = new LinkedHashMap<>();
        for (Map<String, Object> r : training) {
          if (preset.equals(r.get("preset"))
              && wire.equals(r.get("wire"))
              && r.containsKey("scaling_efficiency")) {
            measured.put(String.valueOf(r.get("replicas")), r.get("scaling_efficiency"));
          }
        }
        e.put("measured_efficiency_by_replicas", measured);
        List<Map<String, Object>> nets = new ArrayList<>();
        nets.add(network("loopback (this run)", tc, a, kCpu));
        for (int gbit : NETWORK_GBIT) {
          double wireMs = 2.0 * frameBytes(params, wire) / (gbit * 1e9 / 8) * 1e3;
          nets.add(network(gbit + " Gbit/s", tc, a, kCpu + wireMs));
        }
        e.put("networks", nets);
        out.add(e);
      }
    }
    return out;
  }

  private static Map<String, Object> network(String name, double tc, double a, double k) {
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("network", name);
    n.put("k_ms_per_replica", k);
    Map<String, Object> eff = new LinkedHashMap<>();
    for (int replicas : List.of(1, 2, 8)) {
      eff.put(String.valueOf(replicas), tc / (tc + a + k * replicas));
    }
    n.put("predicted_efficiency_by_replicas", eff);
    // Same batch per replica: N·t_c/(t_c + a + kN) rises towards t_c/k and never falls.
    n.put("weak_scaling_speedup_limit", tc / k);
    // One global batch split over N: t_c/N + a + kN is least at sqrt(t_c/k), at 50% efficiency.
    n.put("strong_scaling_best_replicas", Math.sqrt(tc / k));
    return n;
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Writes distributed-benchmark.json under the output directory and returns its path. */
  public static String write(Map<String, Object> result, String outputDir) {
    String path = Storage.join(outputDir, "distributed-benchmark.json");
    Json.writeFile(path, result);
    return path;
  }

  /** The tables a reader wants first; every number is also in the JSON. */
  @SuppressWarnings("unchecked")
  public static void print(Map<String, Object> result, PrintStream out) {
    out.printf(
        "%s (%s, %s task slots)%n",
        result.get("execution"), result.get("master"), result.get("task_slots"));
    out.println();
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
    for (Map<String, Object> r : (List<Map<String, Object>>) result.get("training")) {
      if (r.containsKey("skipped") || r.containsKey("failed")) {
        boolean skipped = r.containsKey("skipped");
        out.printf(
            "%-6s %-6s %4s %5s  %s: %s%n",
            r.get("preset"),
            "dist",
            r.get("replicas"),
            r.get("wire"),
            skipped ? "skipped" : "FAILED",
            r.get(skipped ? "skipped" : "failed"));
        continue;
      }
      boolean dist = r.get("mode").equals("distributed");
      out.printf(
          "%-6s %-6s %4d %5s %10.0f %7.2fx %5.0f%% %10s %9s %6s %12s %9s%n",
          r.get("preset"),
          dist ? "dist" : "single",
          (int) r.get("replicas"),
          dist ? r.get("wire") : "-",
          (double) r.get("tokens_per_s"),
          (double) r.get("speedup_vs_single"),
          100 * (double) r.get("scaling_efficiency"),
          dist ? fmt("%.1f", r.get("compute_ms")) : fmt("%.1f", r.get("step_ms")),
          dist ? fmt("%.1f", r.get("comm_ms")) : "-",
          dist ? fmt("%.0f%%", 100 * (double) r.get("comm_share")) : "-",
          dist
              ? fmt(
                  "%.2f",
                  ((long) r.get("bytes_sent_per_step") + (long) r.get("bytes_received_per_step"))
                      / 1e6)
              : "-",
          dist ? fmt("%.0f", r.get("replica_mb_per_s")) : "-");
    }
    out.println();
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
    for (Map<String, Object> r : (List<Map<String, Object>>) result.get("averaging_service")) {
      if (r.containsKey("skipped")) {
        out.printf(
            "%-8s %11d %5s %7d  skipped: %s%n",
            r.get("size"),
            (long) r.get("parameters"),
            r.get("wire"),
            (int) r.get("clients"),
            r.get("skipped"));
        continue;
      }
      out.printf(
          "%-8s %11d %5s %7d %10.1f %10.1f %12.0f %10.0f %9s%n",
          r.get("size"),
          (long) r.get("parameters"),
          r.get("wire"),
          (int) r.get("clients"),
          (double) r.get("ms_per_round"),
          (double) r.get("server_reduce_ms_per_round"),
          (double) r.get("client_mb_per_s"),
          (double) r.get("driver_mb_per_s"),
          r.containsKey("bf16_over_fp32_time") ? fmt("%.2fx", r.get("bf16_over_fp32_time")) : "-");
    }
    List<Map<String, Object>> est = (List<Map<String, Object>>) result.get("model_estimates");
    if (!est.isEmpty()) {
      out.println();
      out.println(
          "Model on paper with these numbers (docs/distributed-training.md): step = t_c + a + N*k");
      out.printf(
          "%-6s %5s %8s %7s %-20s %9s %7s %7s %7s %10s %8s%n",
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
          "best N");
      for (Map<String, Object> e : est) {
        for (Map<String, Object> n : (List<Map<String, Object>>) e.get("networks")) {
          Map<String, Object> eff = (Map<String, Object>) n.get("predicted_efficiency_by_replicas");
          out.printf(
              "%-6s %5s %8.1f %7.1f %-20s %9.1f %6.0f%% %6.0f%% %6.0f%% %9.1fx %8.1f%n",
              e.get("preset"),
              e.get("wire"),
              (double) e.get("t_c_ms"),
              (double) e.get("a_ms"),
              n.get("network"),
              (double) n.get("k_ms_per_replica"),
              100 * (double) eff.get("1"),
              100 * (double) eff.get("2"),
              100 * (double) eff.get("8"),
              (double) n.get("weak_scaling_speedup_limit"),
              (double) n.get("strong_scaling_best_replicas"));
        }
        out.printf(
            "%-6s %5s measured efficiency by replicas: %s%n",
            e.get("preset"),
            e.get("wire"),
            percents((Map<String, Object>) e.get("measured_efficiency_by_replicas")));
      }
    }
  }

  private static String percents(Map<String, Object> byN) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : byN.entrySet()) {
      sb.append(sb.length() == 0 ? "" : ", ")
          .append("N=")
          .append(e.getKey())
          .append(' ')
          .append(fmt("%.0f%%", 100 * (double) e.getValue()));
    }
    return sb.length() == 0 ? "-" : sb.toString();
  }

  private static String fmt(String f, Object v) {
    return String.format(f, v);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
