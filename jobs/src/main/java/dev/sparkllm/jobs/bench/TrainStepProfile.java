package dev.sparkllm.jobs.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import dev.sparkllm.training.Trainer;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.optim.Gradients;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a training step's time goes (data, forward+loss, backward, clipping, optimizer), measured
 * by {@link TrainBenchmark} with {@code profile=true}. It replays {@link Trainer#step} from its
 * public parts; libtorch CPU ops are synchronous, so a clock read between two calls brackets the
 * work done in between. Thread CPU time is reported next to wall time: on a shared machine it
 * counts only the cycles this thread got (one intra-op thread runs the kernels on the caller).
 */
final class TrainStepProfile {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private final Map<String, long[]> phases = new LinkedHashMap<>();
  private long wall;
  private long cpu;

  private TrainStepProfile() {}

  /** Milliseconds per step for each phase: {phase: {wall_ms, cpu_ms}}, averaged over steps. */
  static Map<String, Object> run(Trainer t, int[][] rows, int steps) {
    TrainStepProfile p = new TrainStepProfile();
    p.step(t, rows, 0); // warm-up
    p.phases.clear();
    for (int s = 1; s <= steps; s++) {
      p.step(t, rows, s);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    p.phases.forEach(
        (k, v) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("wall_ms", v[0] / 1e6 / steps);
          m.put("cpu_ms", v[1] / 1e6 / steps);
          out.put(k, m);
        });
    return out;
  }

  /**
   * Records one step (after a warm-up) with libtorch's profiler into {@code dir/djl-PRESET.json};
   * returns the file's path.
   */
  static String trace(Trainer t, int[][] rows, String dir, String preset) {
    TrainStepProfile p = new TrainStepProfile();
    p.step(t, rows, 0);
    java.io.File out = new java.io.File(dir, "djl-" + preset + ".json");
    if (!out.getParentFile().isDirectory() && !out.getParentFile().mkdirs()) {
      throw new IllegalArgumentException("trace=" + dir + ": cannot create the directory");
    }
    JniUtils.startProfile(false, true, false);
    try {
      p.step(t, rows, 1);
    } finally {
      JniUtils.stopProfile(out.getAbsolutePath());
    }
    return out.getPath();
  }

  private void mark() {
    wall = System.nanoTime();
    cpu = THREADS.getCurrentThreadCpuTime();
  }

  private void lap(String phase) {
    long w = System.nanoTime();
    long c = THREADS.getCurrentThreadCpuTime();
    long[] acc = phases.computeIfAbsent(phase, k -> new long[2]);
    acc[0] += w - wall;
    acc[1] += c - cpu;
    wall = w;
    cpu = c;
  }

  private void step(Trainer t, int[][] rows, long step) {
    Map<String, Parameter> params = t.model().namedParameters();
    try (NDManager scope = t.manager().newSubManager()) {
      mark();
      int b = rows.length;
      int len = rows[0].length;
      int[] flat = new int[b * len];
      for (int i = 0; i < b; i++) {
        System.arraycopy(rows[i], 0, flat, i * len, len);
      }
      NDArray ids = scope.create(flat, new Shape(b, len));
      NDArray x = ids.get(":, :-1");
      NDArray y = ids.get(":, 1:");
      lap("data");
      try (AutoCloseable grad = Gradients.recording()) {
        NDArray logits = t.model().forward(t.store(), x, null, true);
        NDArray loss = Gpt.crossEntropy(logits, y);
        loss.getFloat();
        lap("forward_loss");
        Gradients.backward(loss);
        lap("backward");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      JniUtils.setGradMode(false);
      // As Trainer.applyGradients: clip over every gradient, then AdamW per parameter.
      Map<String, NDArray> grads = new LinkedHashMap<>();
      params.forEach((k, v) -> grads.put(k, Gradients.of(v, scope)));
      Gradients.clipGlobalNorm(grads.values(), 1.0);
      lap("clip");
      t.optimizer().update(params, grads, 1e-4);
      Gradients.zero(params.values());
      lap("optimizer");
    }
    lap("free");
  }
}
