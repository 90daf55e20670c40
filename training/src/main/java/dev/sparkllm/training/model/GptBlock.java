package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Map;

/** Pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class GptBlock extends GptModule {
  private final GptConfig config;
  private final Parameter ln1W;
  private final Parameter ln1B;
  private final Parameter ln2W;
  private final Parameter ln2B;
  private final CausalSelfAttention attn;
  private final Mlp mlp;

  GptBlock(GptConfig config) {
    this.config = config;
    Shape c = new Shape(config.nEmbd());
    ln1W = param("ln_1.weight", Parameter.Type.GAMMA, c, Initializer.ONES);
    ln1B = param("ln_1.bias", Parameter.Type.BETA, c, Initializer.ZEROS);
    attn = addChildBlock("attn", new CausalSelfAttention(config));
    ln2W = param("ln_2.weight", Parameter.Type.GAMMA, c, Initializer.ONES);
    ln2B = param("ln_2.bias", Parameter.Type.BETA, c, Initializer.ZEROS);
    mlp = addChildBlock("mlp", new Mlp(config));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(
        forward(ps, inputs.head(), inputs.size() > 1 ? inputs.get(1) : null, null, training));
  }

  NDArray forward(
      ParameterStore ps, NDArray x, NDArray mask, KvCache.Layer cache, boolean training) {
    x = x.add(attn.forward(ps, norm(ps, x, ln1W, ln1B, training), mask, cache, training));
    return x.add(mlp.forward(ps, norm(ps, x, ln2W, ln2B, training), training));
  }

  NDArray norm(ParameterStore ps, NDArray x, Parameter w, Parameter b, boolean training) {
    return layerNorm(
        x, value(ps, w, x, training), value(ps, b, x, training), config.layerNormEps());
  }

  static NDArray layerNorm(NDArray x, NDArray w, NDArray b, double eps) {
    return LayerNorm.layerNorm(x, new Shape(x.getShape().getLastDimension()), w, b, (float) eps)
        .head();
  }

  @Override
  protected void initializeChildBlocks(
      ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
    attn.initialize(manager, dataType, inputShapes);
    mlp.initialize(manager, dataType, inputShapes);
  }

  @Override
  void setComputeType(DataType type) {
    super.setComputeType(type);
    attn.setComputeType(type);
    mlp.setComputeType(type);
  }

  @Override
  void addAdapters(
      ai.djl.ndarray.NDManager manager,
      String prefix,
      LoraConfig config,
      Map<String, Parameter> out) {
    attn.addAdapters(manager, prefix + "attn.", config, out);
    mlp.addAdapters(manager, prefix + "mlp.", config, out);
  }

  @Override
  void mergedWeights(String prefix, ai.djl.ndarray.NDManager m, Map<String, NDArray> out) {
    attn.mergedWeights(prefix + "attn.", m, out);
    mlp.mergedWeights(prefix + "mlp.", m, out);
  }

  @Override
  void setAdaptersEnabled(boolean on) {
    attn.setAdaptersEnabled(on);
    mlp.setAdaptersEnabled(on);
  }

  @Override
  void collect(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "ln_1.weight", ln1W);
    out.put(prefix + "ln_1.bias", ln1B);
    attn.collect(prefix + "attn.", out);
    out.put(prefix + "ln_2.weight", ln2W);
    out.put(prefix + "ln_2.bias", ln2B);
    mlp.collect(prefix + "mlp.", out);
  }
}
