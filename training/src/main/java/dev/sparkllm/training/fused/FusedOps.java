package dev.sparkllm.training.fused;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PyTorch ops that DJL's op set does not expose, reached through small TorchScript archives on the
 * classpath ({@code gelu_tanh.pt}, {@code adamw.pt}, {@code clip_grad_norm.pt}; written and checked
 * against PyTorch by {@code training/scripts/make_fused_scripts.py}). The archives hold TorchScript
 * source, which DJL's libtorch compiles when it loads them; they have no parameters, so one
 * instance per JVM serves every thread and device.
 *
 * <p>Each operation returns null or false when its archive cannot be loaded (logged once); callers
 * then compose the same math from DJL ops.
 */
public final class FusedOps {
  private static final Logger LOG = LoggerFactory.getLogger(FusedOps.class);
  private static final Map<String, PtSymbolBlock> MODULES = new ConcurrentHashMap<>();
  private static final Map<String, Boolean> UNAVAILABLE = new ConcurrentHashMap<>();
  private static volatile PtNDManager owner;

  private FusedOps() {}

  /**
   * GPT-2's {@code gelu_new}, {@code aten::gelu(x, approximate="tanh")}: one kernel forward and,
   * under autograd (the caller's grad mode is kept), one {@code gelu_backward}. Null when the
   * archive is unavailable or {@code x} has a dotted name, which DJL would route by name, not by
   * position (intermediate arrays are unnamed).
   */
  public static NDArray geluTanh(NDArray x) {
    if (x.getName() != null && x.getName().contains(".")) {
      return null;
    }
    PtSymbolBlock m = module("gelu_tanh.pt");
    return m == null ? null : IValueUtils.forward(m, new NDList(x), JniUtils.isGradMode()).head();
  }

  /**
   * One AdamW step over a group of parameters, in place, as torch.optim.AdamW's single-tensor path:
   * p ← p·(1 − lr·wd); m ← lerp(m, g, 1 − β1); v ← β2·v + (1 − β2)·g²; p ← p − lr/(1 − β1^t) · m /
   * (sqrt(v)/sqrt(1 − β2^t) + ε). Runs without autograd. False when the archive is unavailable
   * (nothing was changed then).
   */
  public static boolean adamw(
      List<NDArray> params,
      List<NDArray> grads,
      List<NDArray> m,
      List<NDArray> v,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      long step) {
    PtSymbolBlock module = module("adamw.pt");
    if (module == null) {
      return false;
    }
    if (params.isEmpty()) {
      return true;
    }
    IValue[] in = {
      IValue.listFrom(pt(params)),
      IValue.listFrom(pt(grads)),
      IValue.listFrom(pt(m)),
      IValue.listFrom(pt(v)),
      IValue.from(lr),
      IValue.from(beta1),
      IValue.from(beta2),
      IValue.from(eps),
      IValue.from(weightDecay),
      IValue.from(step)
    };
    try {
      IValueUtils.forward(module, in).close();
    } finally {
      for (IValue i : in) {
        i.close();
      }
    }
    return true;
  }

  /**
   * Scales {@code grads} in place so their global norm is at most {@code maxNorm} (none when {@code
   * maxNorm} ≤ 0), as torch.nn.utils.clip_grad_norm_, in one call; returns the norm before
   * clipping, or null when the archive is unavailable (nothing was changed then).
   */
  public static Double clipGradNorm(Collection<NDArray> grads, double maxNorm) {
    PtSymbolBlock module = module("clip_grad_norm.pt");
    if (module == null) {
      return null;
    }
    IValue[] in = {IValue.listFrom(pt(grads)), IValue.from(maxNorm)};
    try (IValue out = IValueUtils.forward(module, in)) {
      return out.toDouble();
    } finally {
      for (IValue i : in) {
        i.close();
      }
    }
  }

  private static PtNDArray[] pt(Collection<NDArray> arrays) {
    return arrays.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new);
  }

  private static PtSymbolBlock module(String resource) {
    PtSymbolBlock m = MODULES.get(resource);
    if (m != null || UNAVAILABLE.containsKey(resource)) {
      return m;
    }
    synchronized (FusedOps.class) {
      m = MODULES.get(resource);
      if (m == null && !UNAVAILABLE.containsKey(resource)) {
        try (InputStream is = FusedOps.class.getResourceAsStream(resource)) {
          if (is == null) {
            throw new IOException(resource + " is not on the classpath");
          }
          m = JniUtils.loadModule(owner(), is, false, false);
          MODULES.put(resource, m);
        } catch (IOException | RuntimeException e) {
          UNAVAILABLE.put(resource, Boolean.TRUE);
          LOG.warn("fused {} unavailable ({}); composing it from DJL ops", resource, e.toString());
        }
      }
      return m;
    }
  }

  /** A base manager of its own, never closed: the modules live as long as the JVM. */
  private static PtNDManager owner() {
    if (owner == null) {
      owner =
          (PtNDManager)
              NDManager.newBaseManager(Device.cpu(), Engine.getEngine("PyTorch").getEngineName());
    }
    return owner;
  }
}
