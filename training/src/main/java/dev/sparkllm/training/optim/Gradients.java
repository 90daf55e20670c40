package dev.sparkllm.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.sparkllm.training.fused.FusedOps;
import java.util.Collection;

/**
 * Autograd and gradient utilities over PyTorch directly. DJL's {@code PtGradientCollector} allows
 * one collector per JVM (a static flag), which would serialize replicas sharing an executor JVM;
 * PyTorch's grad mode itself is per thread, so we switch it ourselves.
 */
public final class Gradients {
  private Gradients() {}

  /** Enables autograd on this thread until closed (restores the previous mode). */
  public static AutoCloseable recording() {
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    return () -> JniUtils.setGradMode(previous);
  }

  /** A grad-mode switch that restores the previous mode when closed, without checked exceptions. */
  public interface Mode extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Disables autograd on this thread until closed. Needed for inference and weight loading on any
   * thread other than the one that started the engine (Spark task threads, a driver thread after
   * the engine was first loaded by a task): PyTorch's grad mode is per thread and on by default.
   */
  public static Mode disabled() {
    ai.djl.engine.Engine.getEngine("PyTorch"); // JNI calls need the engine loaded
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    return () -> JniUtils.setGradMode(previous);
  }

  /** Accumulates d(loss)/d(param) into each parameter's gradient. */
  public static void backward(NDArray loss) {
    NDArray seed = loss.onesLike();
    JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    seed.close();
  }

  /** The parameter's accumulated gradient, as a handle owned by {@code manager}. */
  public static NDArray of(Parameter p, NDManager manager) {
    NDArray g = p.getArray().getGradient();
    g.attach(manager);
    return g;
  }

  public static void zero(Collection<Parameter> params) {
    for (Parameter p : params) {
      zero(p.getArray());
    }
  }

  public static void zero(NDArray leaf) {
    JniUtils.zeroGrad((PtNDArray) leaf);
  }

  /** sqrt(Σ‖g‖²) over all gradients, in double. */
  public static double globalNorm(Collection<NDArray> grads) {
    double sum = 0;
    for (NDArray g : grads) {
      NDArray g32 = g.getDataType() == DataType.FLOAT32 ? g : g.toType(DataType.FLOAT32, false);
      // norm() reduces without the full-size temporary that square().sum() allocates.
      double n = g32.norm().toType(DataType.FLOAT64, false).getDouble();
      sum += n * n;
    }
    return Math.sqrt(sum);
  }

  /**
   * Scales gradients in place so their global norm is at most {@code maxNorm} (PyTorch's
   * clip_grad_norm_: coefficient maxNorm/(norm+1e-6), capped at 1). Returns the norm before
   * clipping.
   */
  public static double clipGlobalNorm(Collection<NDArray> grads, double maxNorm) {
    if (!grads.isEmpty()) {
      // One call into PyTorch instead of four JNI calls per gradient (and a second pass to scale).
      Double fused = FusedOps.clipGradNorm(grads, maxNorm);
      if (fused != null) {
        return fused;
      }
    }
    return clipGlobalNormComposed(grads, maxNorm);
  }

  /** As {@link #clipGlobalNorm}, composed from DJL ops (the fallback; tests compare the two). */
  static double clipGlobalNormComposed(Collection<NDArray> grads, double maxNorm) {
    double norm = globalNorm(grads);
    if (maxNorm > 0) {
      double coef = maxNorm / (norm + 1e-6);
      if (coef < 1.0) {
        for (NDArray g : grads) {
          g.muli(coef);
        }
      }
    }
    return norm;
  }
}
