package dev.sparkllm.training.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.fused.FusedOps;
import java.util.ArrayList;
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
    update(params, grads, lr, true);
  }

  /** As above; {@code fused} false composes the update from DJL ops (tests compare the two). */
  void update(Map<String, Parameter> params, Map<String, NDArray> grads, double lr, boolean fused) {
    step++;
    if (!fused || !fusedUpdate(params, grads, lr)) {
      composedUpdate(params, grads, lr);
    }
  }

  /** Parameters, gradients and moments of one weight-decay group, in the same order. */
  private static final class Group {
    final List<NDArray> params = new ArrayList<>();
    final List<NDArray> grads = new ArrayList<>();
    final List<NDArray> m = new ArrayList<>();
    final List<NDArray> v = new ArrayList<>();
  }

  /**
   * PyTorch's own AdamW ops ({@code lerp_}, {@code addcmul_}, {@code addcdiv_}, none in DJL's op
   * set) in one call per group, with and without weight decay: mini's optimizer phase went from
   * about 55 to 35 ms, tiny's from 5 to 2 (docs/benchmarks.md). False if unavailable.
   */
  private boolean fusedUpdate(
      Map<String, Parameter> params, Map<String, NDArray> grads, double lr) {
    Group decayed = new Group();
    Group plain = new Group();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      NDArray g = grads.get(e.getKey());
      if (g == null) {
        continue;
      }
      NDArray p = e.getValue().getArray();
      Group group = decayed(p) ? decayed : plain;
      group.params.add(p);
      group.grads.add(g);
      group.m.add(m.get(e.getKey()));
      group.v.add(v.get(e.getKey()));
    }
    return fusedStep(decayed, lr, weightDecay) && fusedStep(plain, lr, 0);
  }

  private boolean fusedStep(Group g, double lr, double decay) {
    return FusedOps.adamw(g.params, g.grads, g.m, g.v, lr, beta1, beta2, eps, decay, step);
  }

  private boolean decayed(NDArray param) {
    return weightDecay > 0 && decays(param);
  }

  /** The same update composed from DJL ops, for when the fused one cannot be loaded. */
  private void composedUpdate(
      Map<String, Parameter> params, Map<String, NDArray> grads, double lr) {
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
        if (decayed(p)) {
          p.muli(1 - lr * weightDecay);
        }
        // Each op is a pass over the parameter's memory and every temporary an allocation: in
        // place where the algebra allows, two temporaries (g², the denominator) instead of five.
        mt.subi(g).muli(beta1).addi(g); // β1·m + (1−β1)·g as g + β1·(m − g), as torch's lerp_
        vt.muli(beta2).addi(g.square().muli(1 - beta2));
        if (lr > 0) {
          // lr/bc1 · m / (sqrt(v/bc2) + ε) = m / ((sqrt(v)/sqrt(bc2) + ε) · bc1/lr)
          double s = bc1 / lr;
          NDArray denom = vt.sqrt().muli(s / Math.sqrt(bc2)).addi(eps * s);
          p.subi(mt.div(denom));
        }
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
