package dev.sparkllm.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Scalars;
import dev.sparkllm.training.optim.Gradients;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * DPO on top of a {@link Trainer}: the trainer's model is the policy, and the reference is the
 * policy as it was when this was built (call it after loading the starting weights). For full
 * fine-tuning the reference is a frozen copy; for a LoRA policy it is the same model with its
 * adapters switched off (the base), so it costs no memory. The reference runs without gradients and
 * without dropout; the policy's gradients go through {@link Trainer#applyGradients}, so clipping,
 * the LR schedule, AdamW and the exchange between replicas are those of {@code train}.
 */
public final class DpoTrainer implements AutoCloseable {
  private final Trainer policy;
  private final double beta;
  private final NDManager refManager;
  private final Gpt reference;
  private final ParameterStore refStore;

  public DpoTrainer(Trainer policy, double beta) {
    if (!(beta > 0)) {
      throw new SparkLlmException("finetune.dpo.beta must be > 0, got " + beta);
    }
    this.policy = policy;
    this.beta = beta;
    if (policy.model().loraConfig() != null) {
      this.refManager = null;
      this.reference = null;
      this.refStore = null;
      return;
    }
    this.refManager = policy.manager().newSubManager();
    try (Gradients.Mode off = Gradients.disabled()) {
      synchronized (Trainer.class) { // the engine's RNG is global (see Trainer)
        this.reference = Gpt.create(refManager, policy.model().config());
      }
      Map<String, Parameter> from = policy.model().namedParameters();
      for (Map.Entry<String, Parameter> e : reference.namedParameters().entrySet()) {
        e.getValue().getArray().set(new NDIndex(":"), from.get(e.getKey()).getArray());
        e.getValue().freeze(true);
      }
    }
    reference.setComputeType(policy.options().precision().computeType());
    this.refStore = new ParameterStore(refManager, false);
  }

  public Trainer policy() {
    return policy;
  }

  /**
   * Forward and backward over the micro-batches (the step's loss is the mean of theirs, as in
   * {@link Trainer#forwardBackwardBatches}), leaving the gradients in the policy's buffers.
   */
  public Dpo.Stats forwardBackward(List<PreferenceBatch> microBatches, long step) {
    Engine.getInstance()
        .setRandomSeed(Trainer.seedFor(policy.options().seed(), step)); // dropout as in train
    Dpo.Stats.Sums sums = new Dpo.Stats.Sums();
    int k = microBatches.size();
    try (NDManager scope = policy.manager().newSubManager()) {
      for (PreferenceBatch b : microBatches) {
        Dpo.Terms t = terms(scope, b, true);
        sums.add(t);
        try (Gradients.Mode on = recording()) {
          Gradients.backward(t.loss().mul(Scalars.of(t.loss(), policy.lossScale() / k)));
        }
      }
    }
    return sums.stats();
  }

  /**
   * One optimizer step; {@code reduce} as in {@link Trainer#applyGradients} (null: one replica).
   */
  public Trainer.StepResult step(
      List<PreferenceBatch> microBatches, long step, Consumer<Map<String, NDArray>> reduce) {
    Dpo.Stats s = forwardBackward(microBatches, step);
    return policy.applyGradients(step, s.loss(), reduce);
  }

  /** Loss, rewards and preference accuracy over {@code batches}, without gradients or dropout. */
  public Dpo.Stats evaluate(List<PreferenceBatch> batches) {
    Dpo.Stats.Sums sums = new Dpo.Stats.Sums();
    try (Gradients.Mode off = Gradients.disabled()) {
      for (PreferenceBatch b : batches) {
        try (NDManager scope = policy.manager().newSubManager()) {
          sums.add(terms(scope, b, false));
        }
      }
    }
    return sums.stats();
  }

  /** The batch's DPO terms; the policy's forward is recorded for backward when training. */
  private Dpo.Terms terms(NDManager scope, PreferenceBatch b, boolean training) {
    int n = b.pairs();
    NDArray rows = policy.toArray(scope, b.ids());
    NDArray x = rows.get(":, :-1");
    NDArray y = rows.get(":, 1:");
    NDArray mask = policy.toArray(scope, b.masks()).get(":, 1:");
    NDArray ref;
    try (Gradients.Mode off = Gradients.disabled()) {
      if (reference != null) {
        ref = Gpt.sequenceLogProbs(reference.forward(refStore, x, null, false), y, mask);
      } else {
        policy.model().setAdaptersEnabled(false);
        try {
          ref =
              Gpt.sequenceLogProbs(policy.model().forward(policy.store(), x, null, false), y, mask);
        } finally {
          policy.model().setAdaptersEnabled(true);
        }
      }
    }
    NDArray logps;
    try (Gradients.Mode on = training ? recording() : Gradients.disabled()) {
      logps =
          Gpt.sequenceLogProbs(policy.model().forward(policy.store(), x, null, training), y, mask);
      return Dpo.loss(
          logps.get(new NDIndex("0:{}", n)),
          logps.get(new NDIndex("{}:", n)),
          ref.get(new NDIndex("0:{}", n)),
          ref.get(new NDIndex("{}:", n)),
          beta);
    }
  }

  private static Gradients.Mode recording() {
    boolean previous = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(true);
    return () -> ai.djl.pytorch.jni.JniUtils.setGradMode(previous);
  }

  @Override
  public void close() {
    if (refManager != null) {
      refManager.close();
    }
  }
}
