package dev.sparkllm.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.FlatParameters;
import java.util.LinkedHashMap;
import java.util.List;
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
 *
 * <p>Over a model whose parameters share one buffer ({@link FlatParameters}), the moments share the
 * same layout and {@link #update(NDArray, double)} updates everything with about a dozen ops on the
 * whole buffer (the per-parameter loop issued that many per parameter). Each element goes through
 * the same fp32 operations in the same order either way, so both paths give the same numbers.
 */
public final class AdamW implements AutoCloseable {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private final FlatParameters flat;
  private final NDArray flatM;
  private final NDArray flatV;
  private long step;

  /** Per-parameter updates (parameters with their own storage). */
  public AdamW(
      Map<String, Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
    this(params, null, beta1, beta2, eps, weightDecay);
  }

  /**
   * @param flat the buffer {@code params} are views of (moments get the same layout, and {@link
   *     #update(NDArray, double)} becomes available), or null
   */
  public AdamW(
      Map<String, Parameter> params,
      FlatParameters flat,
      double beta1,
      double beta2,
      double eps,
      double weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    NDManager owner = params.values().iterator().next().getArray().getManager();
    this.manager = owner.newSubManager();
    this.flat = flat;
    if (flat != null) {
      NDArray b = flat.buffer();
      flatM = manager.zeros(new Shape(flat.size()), DataType.FLOAT32, b.getDevice());
      flatV = manager.zeros(new Shape(flat.size()), DataType.FLOAT32, b.getDevice());
      Map<String, NDArray> mViews = flat.views(flatM, manager);
      Map<String, NDArray> vViews = flat.views(flatV, manager);
      for (String name : params.keySet()) { // checkpoint order: the parameters'
        m.put(name, mViews.get(name));
        v.put(name, vViews.get(name));
      }
      return;
    }
    flatM = null;
    flatV = null;
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      NDArray p = e.getValue().getArray();
      m.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      v.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    }
  }

  /** The parameter buffer this optimizer was built over, or null. */
  public FlatParameters flat() {
    return flat;
  }

  /** Optimizer steps taken so far (the t of the bias correction). */
  public long steps() {
    return step;
  }

  static boolean decays(NDArray param) {
    return FlatParameters.decays(param.getShape());
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

  /**
   * One update of every parameter from {@code grads}, the gradients gathered per group of the
   * {@link FlatParameters} (see {@link FlatParameters#gather}), in place; same arithmetic as {@link
   * #update(Map, Map, double)}, a dozen ops per group instead of per parameter. Must run with
   * autograd off.
   */
  public void update(List<NDArray> grads, double lr) {
    if (flat == null) {
      throw new IllegalStateException("this AdamW was built without a parameter buffer");
    }
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    List<FlatParameters.Group> groups = flat.groups();
    for (int i = 0; i < groups.size(); i++) {
      FlatParameters.Group group = groups.get(i);
      NDArray g = grads.get(i);
      try (NDManager scope = g.getManager().newSubManager()) {
        NDArray p = FlatParameters.range(flat.buffer(), group.offset(), group.size(), scope);
        NDArray mt = FlatParameters.range(flatM, group.offset(), group.size(), scope);
        NDArray vt = FlatParameters.range(flatV, group.offset(), group.size(), scope);
        if (weightDecay > 0 && group.decays()) {
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
