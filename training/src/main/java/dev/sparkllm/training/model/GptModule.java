package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
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
