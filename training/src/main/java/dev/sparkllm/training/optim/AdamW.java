package dev.sparkllm.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter) with bias correction and decoupled weight decay on 2-D weights
 * only (matrices and embeddings; not biases or LayerNorm), as nanoGPT configures torch.optim.AdamW.
 * Unlike DJL's optimizer, its moments are named arrays ({@code m.<param>}, {@code v.<param>}) that
 * checkpoints save and restore exactly, and the update is the same on every replica.
 *
 * <pre>
 *   p ← p − lr·wd·p                    (2-D weights only)
 *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr · (m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε)
 * </pre>
 */
public final class AdamW implements AutoCloseable {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long step;

  public AdamW(
      Map<String, Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    NDManager owner = params.values().iterator().next().getArray().getManager();
    this.manager = owner.newSubManager();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      NDArray p = e.getValue().getArray();
      m.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      v.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
  }

  /** Optimizer steps taken so far (the t of the bias correction). */
  public long steps() {
    return step;
  }

  static boolean decays(NDArray param) {
    return param.getShape().dimension() >= 2;
  }

  /**
   * One update of every parameter from {@code grads} (same keys as the parameters), in place. Must
   * run with autograd off (the default outside {@link Gradients#recording()}).
   */
  public void update(Map<String, Parameter> params, Map<String, NDArray> grads, double lr) {
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      String name = e.getKey();
      NDArray g = grads.get(name);
      if (g == null) {
        continue;
      }
      NDArray p = e.getValue().getArray();
      NDArray mt = m.get(name);
      NDArray vt = v.get(name);
      try (NDManager scope = g.getManager().newSubManager()) {
        // Temporarily owned by the scope so every intermediate result is freed with it.
        scope.tempAttachAll(p, mt, vt);
        if (weightDecay > 0 && decays(p)) {
          p.muli(1 - lr * weightDecay);
        }
        mt.muli(beta1).addi(g.mul(1 - beta1));
        vt.muli(beta2).addi(g.square().muli(1 - beta2));
        NDArray denom = vt.div(bc2).sqrt().addi(eps);
        p.subi(mt.div(denom).muli(lr / bc1));
      }
    }
  }

  /** Moments as named arrays (m.NAME, v.NAME), for checkpoints. */
  public NDList state() {
    NDList list = new NDList();
    m.forEach(
        (k, a) -> {
          a.setName("m." + k);
          list.add(a);
        });
    v.forEach(
        (k, a) -> {
          a.setName("v." + k);
          list.add(a);
        });
    return list;
  }

  /** Restores moments and the step count saved by {@link #state()}. */
  public void load(NDList saved, long steps, String origin) {
    for (Map.Entry<String, NDArray> e : m.entrySet()) {
      copy(saved, "m." + e.getKey(), e.getValue(), origin);
      copy(saved, "v." + e.getKey(), v.get(e.getKey()), origin);
    }
    this.step = steps;
  }

  private static void copy(NDList saved, String name, NDArray into, String origin) {
    NDArray src = saved.get(name);
    if (src == null || !src.getShape().equals(into.getShape())) {
      throw new SparkLlmException(
          origin
              + ": optimizer state "
              + name
              + (src == null ? " is missing" : " has shape " + src.getShape())
              + "; the checkpoint does not match this model");
    }
    into.set(new NDIndex(":"), src);
  }

  @Override
  public void close() {
    manager.close();
  }
}
