package dev.sparkllm.training.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimTest {

  @Test
  void scheduleWarmsUpLinearlyThenCosineToMin() {
    LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 110);
    assertThat(s.lr(0)).isCloseTo(1e-3 / 11, within(1e-12));
    assertThat(s.lr(9)).isCloseTo(1e-3 * 10 / 11, within(1e-12));
    assertThat(s.lr(10)).isCloseTo(1e-3, within(1e-12));
    assertThat(s.lr(60)).isCloseTo(5.5e-4, within(1e-12)); // halfway: cos = 0
    assertThat(s.lr(35)).isCloseTo(1e-4 + 0.5 * (1 + Math.cos(Math.PI / 4)) * 9e-4, within(1e-12));
    assertThat(s.lr(110)).isEqualTo(1e-4);
    assertThat(s.lr(500)).isEqualTo(1e-4);
  }

  private static Parameter param(NDManager m, String name, float[] values, Shape shape) {
    Parameter p =
        Parameter.builder()
            .setName(name)
            .setType(Parameter.Type.WEIGHT)
            .optShape(shape)
            .optInitializer((mm, s, t) -> mm.create(values, s))
            .build();
    p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
    return p;
  }

  @Test
  void adamWMatchesHandComputedStepsWithDecayOnMatricesOnly() {
    double lr = 0.1;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    double wd = 0.1;
    float[] w0 = {1f, -2f, 3f, 0.5f};
    float[] b0 = {0.5f, -1f};
    float[][] gw = {{0.5f, -0.25f, 1f, 2f}, {0.1f, 0.3f, -1f, 0f}, {-0.2f, 0.4f, 0.5f, 1f}};
    float[][] gb = {{1f, -3f}, {0.5f, 0.5f}, {-1f, 2f}};
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      params.put("w", param(m, "w", w0, new Shape(2, 2)));
      params.put("b", param(m, "b", b0, new Shape(2)));
      AdamW opt = new AdamW(params, b1, b2, eps, wd);
      for (int t = 0; t < 3; t++) {
        try (NDManager step = m.newSubManager()) {
          Map<String, NDArray> grads = new LinkedHashMap<>();
          grads.put("w", step.create(gw[t], new Shape(2, 2)));
          grads.put("b", step.create(gb[t]));
          opt.update(params, grads, lr);
        }
        if (t == 0) {
          // First step by hand: m̂ = g and v̂ = g², so the step is lr·sign(g) (up to ε).
          assertThat(params.get("w").getArray().toFloatArray())
              .containsExactly(
                  new float[] {
                    1f * 0.99f - 0.1f, -2f * 0.99f + 0.1f, 3f * 0.99f - 0.1f, 0.5f * 0.99f - 0.1f
                  },
                  within(1e-6f));
          assertThat(params.get("b").getArray().toFloatArray())
              .containsExactly(new float[] {0.4f, -0.9f}, within(1e-6f));
        }
      }
      assertThat(params.get("w").getArray().toFloatArray())
          .containsExactly(reference(w0, gw, lr, b1, b2, eps, wd), within(1e-6f));
      assertThat(params.get("b").getArray().toFloatArray())
          .containsExactly(reference(b0, gb, lr, b1, b2, eps, 0), within(1e-6f));
      assertThat(opt.steps()).isEqualTo(3);
    }
  }

  /** Plain double-precision AdamW, element by element. */
  private static float[] reference(
      float[] p0, float[][] grads, double lr, double b1, double b2, double eps, double wd) {
    double[] p = new double[p0.length];
    double[] mm = new double[p0.length];
    double[] vv = new double[p0.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = p0[i];
    }
    for (int t = 1; t <= grads.length; t++) {
      for (int i = 0; i < p.length; i++) {
        double g = grads[t - 1][i];
        p[i] -= lr * wd * p[i];
        mm[i] = b1 * mm[i] + (1 - b1) * g;
        vv[i] = b2 * vv[i] + (1 - b2) * g * g;
        double mh = mm[i] / (1 - Math.pow(b1, t));
        double vh = vv[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mh / (Math.sqrt(vh) + eps);
      }
    }
    float[] out = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = (float) p[i];
    }
    return out;
  }

  /**
   * The in-place update (two temporaries) against the previous one written as the textbook formula
   * with a temporary per term, over five steps on random matrices with a warm-up lr of 0 first
   * (which must leave the parameters alone and still move the moments).
   */
  @Test
  void fusedUpdateMatchesTheTextbookFormulation() {
    inPlaceUpdateMatchesTheTextbookFormulation(false);
  }

  @Test
  void composedUpdateMatchesTheTextbookFormulation() {
    inPlaceUpdateMatchesTheTextbookFormulation(true);
  }

  private static void inPlaceUpdateMatchesTheTextbookFormulation(boolean composed) {
    double b1 = 0.9;
    double b2 = 0.95;
    double eps = 1e-8;
    double wd = 0.1;
    double[] lrs = {0.0, 3e-3, 6e-4, 6e-4, 1e-4};
    java.util.Random r = new java.util.Random(7);
    float[] w0 = new float[64 * 48];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = (float) (0.02 * r.nextGaussian());
    }
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      params.put("w", param(m, "w", w0, new Shape(64, 48)));
      NDArray ref = m.create(w0, new Shape(64, 48));
      NDArray mm = ref.zerosLike();
      NDArray vv = ref.zerosLike();
      AdamW opt = new AdamW(params, b1, b2, eps, wd);
      for (int t = 1; t <= lrs.length; t++) {
        float[] g = new float[w0.length];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 1e-4 : 1e-2));
        }
        double lr = lrs[t - 1];
        try (NDManager step = m.newSubManager()) {
          NDArray grad = step.create(g, new Shape(64, 48));
          opt.update(params, Map.of("w", grad), lr, !composed);
          // The previous implementation, op for op.
          ref.muli(1 - lr * wd);
          mm.muli(b1).addi(grad.mul(1 - b1));
          vv.muli(b2).addi(grad.square().muli(1 - b2));
          NDArray denom = vv.div(1 - Math.pow(b2, t)).sqrt().addi(eps);
          ref.subi(mm.div(denom).muli(lr / (1 - Math.pow(b1, t))));
        }
        float[] got = params.get("w").getArray().toFloatArray();
        float[] want = ref.toFloatArray();
        if (t == 1) {
          assertThat(got).containsExactly(w0); // lr 0: decay and step are both no-ops
        }
        for (int i = 0; i < got.length; i++) {
          assertThat(got[i]).as("step %d, element %d", t, i).isCloseTo(want[i], within(2e-7f));
        }
      }
      assertThat(opt.state().get("m.w").toFloatArray())
          .containsExactly(mm.toFloatArray(), within(1e-8f));
    }
  }

  @Test
  void clippingScalesToTheGlobalNorm() {
    clipping(Gradients::clipGlobalNorm);
  }

  @Test
  void composedClippingScalesToTheGlobalNorm() {
    clipping(Gradients::clipGlobalNormComposed);
  }

  private static void clipping(java.util.function.ToDoubleBiFunction<List<NDArray>, Double> clip) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {3f, 0f});
      NDArray b = m.create(new float[] {4f});
      double norm = clip.applyAsDouble(List.of(a, b), 1.0);
      assertThat(norm).isCloseTo(5.0, within(1e-9));
      assertThat(a.toFloatArray()).containsExactly(new float[] {0.6f, 0f}, within(1e-6f));
      assertThat(b.toFloatArray()).containsExactly(new float[] {0.8f}, within(1e-6f));
      assertThat(Gradients.globalNorm(List.of(a, b))).isCloseTo(1.0, within(1e-6));
      // Below the threshold nothing changes.
      assertThat(clip.applyAsDouble(List.of(a, b), 10.0)).isCloseTo(1.0, within(1e-6));
      assertThat(a.toFloatArray()).containsExactly(new float[] {0.6f, 0f}, within(1e-6f));
    }
  }
}
