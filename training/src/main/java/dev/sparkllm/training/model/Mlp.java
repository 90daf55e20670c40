package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.sparkllm.training.fused.FusedOps;
import java.util.Map;

/** Position-wise MLP, 4× wide, GELU with the tanh approximation (GPT-2's {@code gelu_new}). */
public final class Mlp extends GptModule {
  private static final double GELU_A = 2 * Math.sqrt(2.0 / Math.PI);
  private static final double GELU_B = 0.044715 * GELU_A;
  private final GptConfig config;
  private final Parameter fcW;
  private final Parameter fcB;
  private final Parameter projW;
  private final Parameter projB;

  Mlp(GptConfig config) {
    this.config = config;
    int c = config.nEmbd();
    double residStd = config.initStd() / Math.sqrt(2.0 * config.nLayer());
    fcW =
        param("c_fc.weight", Parameter.Type.WEIGHT, new Shape(4L * c, c), normal(config.initStd()));
    fcB = param("c_fc.bias", Parameter.Type.BIAS, new Shape(4L * c), Initializer.ZEROS);
    projW = param("c_proj.weight", Parameter.Type.WEIGHT, new Shape(c, 4L * c), normal(residStd));
    projB = param("c_proj.bias", Parameter.Type.BIAS, new Shape(c), Initializer.ZEROS);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(forward(ps, inputs.head(), training));
  }

  NDArray forward(ParameterStore ps, NDArray x, boolean training) {
    NDArray h =
        adapted(
            "c_fc",
            ps,
            x,
            Linear.linear(x, value(ps, fcW, x, training), value(ps, fcB, x, training)).head(),
            training);
    h = geluTanh(h); // (B, T, 4C)
    h =
        adapted(
            "c_proj",
            ps,
            h,
            Linear.linear(h, value(ps, projW, h, training), value(ps, projB, h, training)).head(),
            training);
    return training && config.dropout() > 0
        ? Dropout.dropout(h, (float) config.dropout(), true).head()
        : h;
  }

  /**
   * GPT-2's {@code gelu_new}, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the equal
   * x·sigmoid(x·(a + b·x²)) with a = 2√(2/π), b = 0.044715·a (since 0.5·(1 + tanh(z)) =
   * sigmoid(2z)). PyTorch's fused kernel when it is reachable ({@link FusedOps#geluTanh}), which
   * makes mini's MLP about three times cheaper on a CPU; else composed.
   */
  static NDArray geluTanh(NDArray x) {
    NDArray fused = FusedOps.geluTanh(x);
    return fused != null ? fused : geluTanhComposed(x);
  }

  /**
   * The composed form: six elementwise ops instead of the formula's nine, each one a kernel in
   * forward and backward and a temporary autograd keeps. DJL's gelu is the exact erf form, and it
   * has no tanh variant.
   */
  static NDArray geluTanhComposed(NDArray x) {
    // Scalar operands from Scalars, never DJL's Number overloads (see Scalars for why).
    NDArray inner = x.square().mul(Scalars.of(x, GELU_B)).add(Scalars.of(x, GELU_A)).mul(x);
    return x.mul(Activation.sigmoid(inner));
  }

  @Override
  void addAdapters(
      ai.djl.ndarray.NDManager manager,
      String prefix,
      LoraConfig config,
      Map<String, Parameter> out) {
    addAdapter(manager, prefix, "c_fc", "mlp.c_fc", fcW, config, out);
    addAdapter(manager, prefix, "c_proj", "mlp.c_proj", projW, config, out);
  }

  @Override
  void collect(String prefix, Map<String, Parameter> out) {
    named.forEach((k, p) -> out.put(prefix + k, p));
  }
}
