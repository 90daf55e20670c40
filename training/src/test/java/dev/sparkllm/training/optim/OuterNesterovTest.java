package dev.sparkllm.training.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class OuterNesterovTest {

  private static Parameter param(NDManager m, String name, float[] values, Shape shape) {
    Parameter p =
        Parameter.builder()
            .setName(name)
            .setType(Parameter.Type.WEIGHT)
            .optShape(shape)
            .optInitializer((mm, s, t) -> mm.create(values, s))
            .build();
    p.initialize(m, DataType.FLOAT32);
    return p;
  }

  private static void setTo(Parameter p, float[] values) {
    p.getArray().set(values);
  }

  /**
   * Two rounds against PyTorch's SGD(lr, momentum=μ, nesterov=True) written out by hand: the
   * replica moves the weights, the pseudo-gradient is outer − replica, the outer step moves the
   * outer weights and the replica restarts from them.
   */
  @Test
  void nesterovStepsMatchAHandComputation() {
    double lr = 0.7;
    double mu = 0.9;
    float[] w0 = {1f, -2f, 3f, 0.5f};
    float[][] replica = {{0.9f, -1.8f, 3.1f, 0.5f}, {0.5f, -1.7f, 3.5f, 0.25f}};
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      params.put("w", param(m, "w", w0, new Shape(2, 2)));
      OuterNesterov outer = new OuterNesterov(params, lr, mu);
      double[] theta = {1, -2, 3, 0.5};
      double[] v = new double[4];
      for (float[] r : replica) {
        setTo(params.get("w"), r);
        try (NDManager scope = m.newSubManager()) {
          Map<String, NDArray> delta = outer.pseudoGradients(params, scope);
          outer.step(params, delta);
        }
        for (int i = 0; i < 4; i++) {
          double d = theta[i] - r[i];
          v[i] = mu * v[i] + d;
          theta[i] -= lr * (d + mu * v[i]);
        }
        float[] got = params.get("w").getArray().toFloatArray();
        for (int i = 0; i < 4; i++) {
          assertThat((double) got[i]).isCloseTo(theta[i], within(1e-6));
        }
      }
      // The first round alone: θ0 − lr·(1 + μ)·Δ, the DiLoCo step a one-replica run takes.
      assertThat(theta[0]).isNotCloseTo(replica[1][0], within(1e-3));
      NDArray saved = outer.state().get("momentum.w");
      float[] vs = saved.toFloatArray();
      for (int i = 0; i < 4; i++) {
        assertThat((double) vs[i]).isCloseTo(v[i], within(1e-6));
      }
    }
  }

  @Test
  void learningRateOneWithoutMomentumAveragesTheReplicas() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      params.put("b", param(m, "b", new float[] {1f, 2f}, new Shape(2)));
      OuterNesterov outer = new OuterNesterov(params, 1.0, 0.0);
      assertThat(outer.hasState()).isFalse();
      try (NDManager scope = m.newSubManager()) {
        // Two replicas ended at {2, 2} and {0, 4}: the averaged pseudo-gradient of the exchange.
        NDArray avg =
            scope
                .create(new float[] {1f - 2f, 2f - 2f})
                .add(scope.create(new float[] {1f - 0f, 2f - 4f}))
                .div(2);
        Map<String, NDArray> delta = new LinkedHashMap<>();
        delta.put("b", avg);
        outer.step(params, delta);
      }
      assertThat(params.get("b").getArray().toFloatArray()).containsExactly(1f, 3f);
    }
  }

  @Test
  void momentumOfAnotherModelIsRefusedNamingTheFile() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      params.put("w", param(m, "w", new float[] {1f, 2f}, new Shape(2)));
      OuterNesterov outer = new OuterNesterov(params, 0.7, 0.9);
      NDArray wrong = m.zeros(new Shape(3));
      wrong.setName("momentum.w");
      assertThatThrownBy(() -> outer.load(new NDList(wrong), "ckpt/outer.safetensors"))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("ckpt/outer.safetensors: outer momentum momentum.w has shape");
    }
  }
}
