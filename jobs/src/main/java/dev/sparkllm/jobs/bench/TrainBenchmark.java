package dev.sparkllm.jobs.bench;

import ai.djl.engine.Engine;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.Trainer;
import dev.sparkllm.training.TrainingOptions;
import dev.sparkllm.training.model.GptConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput and model FLOPs utilization (not a test): for each preset, a few timed
 * optimizer steps on random tokens; MFU = flops/token · tokens/s / peak, with flops/token = 6·N +
 * 12·L·C·T (PaLM appendix B, as nanoGPT). Prints JSON.
 *
 * <pre>
 * java -cp jobs/target/spark-llm-jobs-0.1.0-SNAPSHOT.jar:$(cat jobs/target/classpath.txt) \
 *     dev.sparkllm.jobs.bench.TrainBenchmark [presets=tiny,mini] [steps=5] [batch=8]
 *     [seq=0 (context)] [peak_gflops=auto] [threads=0 (PyTorch default)] [profile=false] [trace=DIR]
 * </pre>
 *
 * {@code profile=true} adds the time per phase of a step ({@link TrainStepProfile}); {@code
 * trace=DIR} records one step with libtorch's own profiler into {@code DIR/djl-PRESET.json} (Chrome
 * trace format, one event per ATen op), for {@code training/scripts/op_profile.py}. Besides wall
 * time it reports tokens per CPU-second of the calling thread, the steadier figure on a shared
 * machine at one thread. {@code training/scripts/compare_train_benchmark.py} runs it alternately
 * with the PyTorch baseline (docs/benchmarks.md).
 *
 * <p>CPU peak defaults to cores × 2.5 GHz × 32 fp32 FLOPs/cycle (AVX2: 2 FMA units × 8 lanes × 2);
 * pass the real figure of your machine or GPU (e.g. 312000 for an A100 in fp16).
 */
public final class TrainBenchmark {
  private TrainBenchmark() {}

  public static void main(String[] args) {
    System.out.println(Json.write(runBenchmark(args)));
  }

  public static Map<String, Object> runBenchmark(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int steps = Integer.parseInt(a.getOrDefault("steps", "5"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
    int seqArg = Integer.parseInt(a.getOrDefault("seq", "0"));
    int threads = Integer.parseInt(a.getOrDefault("threads", "0"));
    Engine.getInstance(); // loads the native library before threads can be set
    if (threads > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
      ai.djl.pytorch.jni.JniUtils.setNumInteropThreads(threads);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    double peak =
        a.containsKey("peak_gflops")
            ? Double.parseDouble(a.get("peak_gflops")) * 1e9
            : cores * 2.5e9 * 32;
    String precision = a.getOrDefault("precision", "fp32");
    List<Map<String, Object>> results = new ArrayList<>();
    for (String preset : a.getOrDefault("presets", "tiny,mini").split(",")) {
      int vocab = preset.equals(GptConfig.GPT2) ? 50257 : 8192;
      GptConfig model = GptConfig.preset(preset, vocab);
      int seq = seqArg > 0 ? Math.min(seqArg, model.contextLength()) : model.contextLength();
      Config c =
          Config.load(
              null,
              List.of(
                  "training.batch_size=" + batch,
                  "training.precision=" + precision,
                  "training.warmup_steps=0"));
      TrainingOptions o = TrainingOptions.fromConfig(c.section("training"));
      Random r = new Random(1);
      int[][] rows = new int[batch][seq + 1];
      for (int[] row : rows) {
        for (int j = 0; j <= seq; j++) {
          row[j] = r.nextInt(vocab);
        }
      }
      try (Trainer t = new Trainer(model, o)) {
        t.step(List.<int[][]>of(rows), 0); // warm-up: allocator, kernels
        java.lang.management.ThreadMXBean mx =
            java.lang.management.ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long cpuStart = mx.getCurrentThreadCpuTime();
        double loss = 0;
        for (int s = 1; s <= steps; s++) {
          loss = t.step(List.<int[][]>of(rows), s).loss();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (mx.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        double tps = (double) steps * batch * seq / seconds;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        m.put("parameters", model.parameterCount());
        m.put("batch", batch);
        m.put("seq_len", seq);
        m.put("precision", precision);
        m.put("device", Engine.getInstance().getGpuCount() > 0 ? "gpu" : "cpu");
        m.put("steps", steps);
        m.put("seconds_per_step", seconds / steps);
        m.put("tokens_per_s", tps);
        // With one intra-op thread the kernels run on this thread, so this counts only the cycles
        // the step got: a steadier figure than wall time on a shared machine.
        m.put("cpu_seconds_per_step", cpuSeconds / steps);
        m.put("tokens_per_cpu_s", (double) steps * batch * seq / cpuSeconds);
        m.put("flops_per_token", model.flopsPerToken(seq));
        m.put("achieved_gflops", tps * model.flopsPerToken(seq) / 1e9);
        m.put("peak_gflops", peak / 1e9);
        m.put("mfu", tps * model.flopsPerToken(seq) / peak);
        m.put("last_loss", loss);
        if (Boolean.parseBoolean(a.getOrDefault("profile", "false"))) {
          m.put("profile", TrainStepProfile.run(t, rows, steps));
        }
        if (a.containsKey("trace")) {
          m.put("trace", TrainStepProfile.trace(t, rows, a.get("trace"), preset));
        }
        results.add(m);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    out.put("cores", cores);
    out.put("torch_threads", threads > 0 ? threads : "default");
    out.put("results", results);
    return out;
  }
}
