package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for autograd-tracked arithmetic. Never use DJL's {@code mul(Number)}, {@code
 * div(Number)} or {@code pow(Number)} on an array that requires a gradient: DJL 0.35 makes the
 * scalar a PyTorch tensor over a Java direct buffer (from_blob, not owned by PyTorch) and closes it
 * right after the op, which lets the garbage collector free that buffer while autograd still holds
 * the tensor for the backward pass (MulBackward saves its other operand). Backward then reads freed
 * memory: gradients turn NaN at random steps, more often the more the JVM allocates (two replicas
 * in one JVM hit it within tens of steps; see {@code ScalarsTest}). A tensor made by {@code full}
 * owns its memory, so autograd keeps it alive for as long as it needs it.
 */
public final class Scalars {
  private Scalars() {}

  /** A 0-d tensor holding {@code value}, with {@code like}'s type, device and manager. */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().full(new Shape(), (float) value, like.getDataType());
  }
}
