package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Base of the GPT blocks: parameters are created with their final shapes and initializers, so
 * {@code initialize} needs no shape inference, and each block names its parameters the way Hugging
 * Face's GPT-2 does ({@code attn.c_attn.weight}) for checkpoints and optimizer state.
 */
abstract class GptModule extends AbstractBlock {
  /** Local name → parameter, in creation order. */
  protected final Map<String, Parameter> named = new LinkedHashMap<>();

  /** LoRA adapters on this block's linear layers, by the layer's local name (c_attn, ...). */
  private final Map<String, LoraLinear> adapters = new LinkedHashMap<>();

  /** False while the model should compute as its base (the DPO reference of a LoRA policy). */
  private boolean adaptersOn = true;

  /** Compute type of the forward pass; parameters stay fp32 (master weights) and are cast. */
  protected DataType computeType = DataType.FLOAT32;

  protected Parameter param(String name, Parameter.Type type, Shape shape, Initializer init) {
    Parameter p =
        addParameter(
            Parameter.builder()
                .setName(name)
                .setType(type)
                .optShape(shape)
                .optInitializer(init)
                .build());
    named.put(name, p);
    return p;
  }

  static Initializer normal(double std) {
    return (manager, shape, dataType) -> manager.randomNormal(0f, (float) std, shape, dataType);
  }

  /** The parameter's value on the input's device, cast to the compute type (autograd-tracked). */
  protected NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
    NDArray v = ps.getValue(p, like.getDevice(), training);
    if (v.getDataType() == computeType) {
      return v;
    }
    NDArray cast = v.toType(computeType, false);
    cast.attach(like.getManager()); // else it would be owned by the model's manager and pile up
    return cast;
  }

  /**
   * {@code y} (the output of linear layer {@code layer} on {@code x}) plus its adapter's update.
   */
  protected NDArray adapted(
      String layer, ParameterStore ps, NDArray x, NDArray y, boolean training) {
    LoraLinear a = adapters.get(layer);
    return a == null || !adaptersOn ? y : y.add(a.delta(this, ps, x, training));
  }

  /**
   * Puts an adapter on linear layer {@code layer} (weight {@code w}) when {@code config} targets
   * {@code qualified}; its parameters go into {@code out} under {@code prefix + layer}.
   */
  void addAdapter(
      NDManager manager,
      String prefix,
      String layer,
      String qualified,
      Parameter w,
      LoraConfig config,
      Map<String, Parameter> out) {
    if (!config.targets(qualified)) {
      return;
    }
    Shape s = w.getArray().getShape(); // (out, in)
    LoraLinear a = new LoraLinear(manager, prefix + layer, w, s.get(1), s.get(0), config);
    adapters.put(layer, a);
    out.put(a.a.getName(), a.a);
    out.put(a.b.getName(), a.b);
  }

  /** Adds LoRA adapters to this block and its children ({@code prefix}: this block's name). */
  void addAdapters(
      NDManager manager, String prefix, LoraConfig config, Map<String, Parameter> out) {}

  /** Each adapted weight's name under {@code prefix} → W + (alpha/r)·B·A, owned by {@code m}. */
  void mergedWeights(String prefix, NDManager m, Map<String, NDArray> out) {
    adapters.forEach(
        (layer, a) -> {
          NDArray w = a.base.getArray();
          m.tempAttachAll(w);
          out.put(prefix + layer + ".weight", w.add(a.update(m)));
        });
  }

  void setAdaptersEnabled(boolean on) {
    this.adaptersOn = on;
  }

  /** Every parameter of this block and its children under {@code prefix}. */
  abstract void collect(String prefix, Map<String, Parameter> out);

  void setComputeType(DataType type) {
    this.computeType = type;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }
}
