package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.training.optim.Gradients;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class GeluTanhTest {
  private static double gelu(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  private static double geluGrad(double x) {
    double c = Math.sqrt(2 / Math.PI);
    double t = Math.tanh(c * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
  }

  /**
   * Both the fused kernel (what the model runs) and the composed sigmoid form equal GPT-2's tanh
   * formula, values and gradients, tails included.
   */
  @Test
  void fusedMatchesGpt2TanhFormulaAndItsGradient() throws Exception {
    check(Mlp::geluTanh);
  }

  @Test
  void composedMatchesGpt2TanhFormulaAndItsGradient() throws Exception {
    check(Mlp::geluTanhComposed);
  }

  /** The model's GELU is the fused one here: the archive loads and keeps the autograd graph. */
  @Test
  void theFusedKernelIsReachable() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertThat(dev.sparkllm.training.fused.FusedOps.geluTanh(m.create(new float[] {1f})))
          .isNotNull();
    }
  }

  private static void check(java.util.function.UnaryOperator<NDArray> geluTanh) throws Exception {
    float[] xs = new float[401];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = -20f + i * 0.1f;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(xs);
      x.setRequiresGradient(true);
      float[] y;
      try (AutoCloseable rec = Gradients.recording()) {
        NDArray out = geluTanh.apply(x);
        y = out.toFloatArray();
        Gradients.backward(out.sum());
      }
      float[] g = x.getGradient().toFloatArray();
      for (int i = 0; i < xs.length; i++) {
        assertThat((double) y[i])
            .as("gelu(%s)", xs[i])
            .isCloseTo(gelu(xs[i]), within(1e-6 + 1e-6 * Math.abs(xs[i])));
        assertThat((double) g[i]).as("gelu'(%s)", xs[i]).isCloseTo(geluGrad(xs[i]), within(2e-6));
      }
    }
  }
}
