package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;

/**
 * One low-rank adapter on a linear layer W (out × in): the layer computes W·x + b + (alpha/r) ·
 * B·(A·dropout(x)). A (r × in) starts uniform in ±1/√in (PEFT's Kaiming-uniform default), B (out ×
 * r) at zero, so a fresh adapter leaves the model's output exactly as it was. Layouts are PEFT's
 * {@code lora_A.weight} / {@code lora_B.weight}.
 */
final class LoraLinear {
  final Parameter a;
  final Parameter b;

  /** The weight W this adapter adds to. */
  final Parameter base;

  private final double scaling;
  private final double dropout;

  LoraLinear(NDManager manager, String name, Parameter base, long in, long out, LoraConfig config) {
    this.base = base;
    this.scaling = config.scaling();
    this.dropout = config.dropout();
    float bound = (float) (1.0 / Math.sqrt(in));
    Initializer uniform = (m, shape, type) -> m.randomUniform(-bound, bound, shape, type);
    a = create(manager, name + ".lora_A.weight", new Shape(config.rank(), in), uniform);
    b = create(manager, name + ".lora_B.weight", new Shape(out, config.rank()), Initializer.ZEROS);
  }

  private static Parameter create(NDManager manager, String name, Shape shape, Initializer init) {
    Parameter p =
        Parameter.builder()
            .setName(name)
            .setType(Parameter.Type.WEIGHT)
            .optShape(shape)
            .optInitializer(init)
            .build();
    p.initialize(manager, DataType.FLOAT32);
    return p;
  }

  /** (alpha/r)·B·A·dropout(x), in the compute type of {@code module}. */
  NDArray delta(GptModule module, ParameterStore ps, NDArray x, boolean training) {
    NDArray in = training && dropout > 0 ? Dropout.dropout(x, (float) dropout, true).head() : x;
    NDArray h = Linear.linear(in, module.value(ps, a, in, training)).head();
    h = Linear.linear(h, module.value(ps, b, h, training)).head();
    return h.mul(Scalars.of(h, scaling)); // not mul(Number): see Scalars
  }

  /** B·A scaled: what merging adds to W (out × in), fp32, owned by {@code manager}. */
  NDArray update(NDManager manager) {
    NDArray av = a.getArray();
    NDArray bv = b.getArray();
    manager.tempAttachAll(av, bv);
    return bv.matMul(av).muli(scaling);
  }
}
