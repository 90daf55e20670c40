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
 * The outer optimizer of DiLoCo (Douillard et al. 2023, Algorithm 1) and of local SGD: it keeps the
 * outer weights θ (the weights every replica started the round from) and, with momentum, a buffer
 * per parameter. A round's pseudo-gradient is Δ = θ − θ_replica, averaged over the replicas; the
 * step is PyTorch's {@code SGD(lr, momentum=μ, nesterov=True)} without dampening, as the paper
 * uses:
 *
 * <pre>
 *   v ← μ·v + Δ           (v starts at 0, so the first v is Δ, as PyTorch's first step)
 *   θ ← θ − lr·(Δ + μ·v)
 * </pre>
 *
 * With lr 1 and μ 0 the step is θ − mean(θ − θ_r) = mean(θ_r): plain parameter averaging (local SGD
 * / FedAvg), computed from differences so that a bf16 wire rounds the small Δ, not the weights.
 */
public final class OuterNesterov implements AutoCloseable {
  private final double lr;
  private final double momentum;
  private final NDManager manager;
  private final Map<String, NDArray> outer = new LinkedHashMap<>();
  private final Map<String, NDArray> velocity = new LinkedHashMap<>();

  /** Takes the current {@code params} as the outer weights. */
  public OuterNesterov(Map<String, Parameter> params, double lr, double momentum) {
    this.lr = lr;
    this.momentum = momentum;
    NDManager owner = params.values().iterator().next().getArray().getManager();
    this.manager = owner.newSubManager();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      NDArray p = e.getValue().getArray();
      outer.put(e.getKey(), p.duplicate());
      if (momentum > 0) {
        velocity.put(e.getKey(), manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      }
    }
    outer.values().forEach(a -> a.attach(manager));
  }

  /** The pseudo-gradients θ − θ_replica, owned by {@code scope}. Autograd must be off. */
  public Map<String, NDArray> pseudoGradients(Map<String, Parameter> params, NDManager scope) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      NDArray d = outer.get(e.getKey()).sub(e.getValue().getArray());
      d.attach(scope);
      out.put(e.getKey(), d);
    }
    return out;
  }

  /**
   * One outer step with the averaged pseudo-gradients {@code delta} (same keys as the parameters),
   * then every parameter is set to the new outer weights. Autograd must be off.
   */
  public void step(Map<String, Parameter> params, Map<String, NDArray> delta) {
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      String name = e.getKey();
      NDArray d = delta.get(name);
      NDArray theta = outer.get(name);
      try (NDManager scope = d.getManager().newSubManager()) {
        scope.tempAttachAll(theta);
        if (momentum > 0) {
          NDArray v = velocity.get(name);
          scope.tempAttachAll(v);
          v.muli(momentum).addi(d);
          theta.subi(d.add(v.mul(momentum)).muli(lr));
        } else {
          theta.subi(d.mul(lr));
        }
      }
      e.getValue().getArray().set(new NDIndex(":"), theta);
    }
  }

  /** The momentum buffers as named arrays ({@code momentum.NAME}), for checkpoints. */
  public NDList state() {
    NDList list = new NDList();
    velocity.forEach(
        (k, a) -> {
          a.setName("momentum." + k);
          list.add(a);
        });
    return list;
  }

  /** Restores the buffers saved by {@link #state()}; {@code origin} names the file in errors. */
  public void load(NDList saved, String origin) {
    for (Map.Entry<String, NDArray> e : velocity.entrySet()) {
      String name = "momentum." + e.getKey();
      NDArray src = saved.get(name);
      if (src == null || !src.getShape().equals(e.getValue().getShape())) {
        throw new SparkLlmException(
            origin
                + ": outer momentum "
                + name
                + (src == null ? " is missing" : " has shape " + src.getShape())
                + "; the checkpoint does not match this model");
      }
      e.getValue().set(new NDIndex(":"), src);
    }
  }

  /** True when the optimizer keeps momentum buffers (μ &gt; 0) that a checkpoint must hold. */
  public boolean hasState() {
    return !velocity.isEmpty();
  }

  @Override
  public void close() {
    manager.close();
  }
}
