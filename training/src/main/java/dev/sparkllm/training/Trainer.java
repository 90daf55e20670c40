package dev.sparkllm.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.model.LoraConfig;
import dev.sparkllm.training.model.Scalars;
import dev.sparkllm.training.optim.AdamW;
import dev.sparkllm.training.optim.Gradients;
import dev.sparkllm.training.optim.LrSchedule;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One model replica and its optimizer: forward/backward over micro-batches with gradient
 * accumulation, global-norm clipping, the LR schedule and an AdamW update. Every step runs in its
 * own NDManager scope, so native memory stays flat over any number of steps. Seeds are derived from
 * (seed, step), so a resumed run draws the same dropout masks as an uninterrupted one.
 *
 * <p>Precision: fp32 everywhere; fp16 (GPU only) runs forward and backward on half-precision copies
 * of the weights, with fp32 master weights, fp32 loss and dynamic loss scaling.
 */
public final class Trainer implements AutoCloseable {
  private static final int SCALE_GROWTH_INTERVAL = 2000;

  private final GptConfig config;
  private final TrainingOptions options;
  private final NDManager manager;
  private final Device device;
  private final Gpt model;

  /** What the optimizer updates: every parameter, or only the LoRA adapters. */
  private final Map<String, Parameter> trainable;

  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final ParameterStore store;
  private final Map<Parameter, NDArray> half;
  private double lossScale;
  private int cleanSteps;

  /** Result of one optimizer step; {@code skipped} when fp16 gradients overflowed. */
  public record StepResult(double loss, double gradNorm, double lr, boolean skipped) {}

  /** A replica on the device the options ask for (see {@link Devices#forDriver}). */
  public Trainer(GptConfig config, TrainingOptions options) {
    this(config, options, false);
  }

  /** {@code halfOnCpu}: tests exercise the fp16 path on CPU (slow, but numerically the same). */
  Trainer(GptConfig config, TrainingOptions options, boolean halfOnCpu) {
    this(config, options, halfOnCpu ? Device.cpu() : Devices.forDriver(options));
  }

  /** {@code device}: where this replica computes, from {@link Devices}. */
  public Trainer(GptConfig config, TrainingOptions options, Device device) {
    this(config, options, device, null);
  }

  /**
   * @param lora when not null, the base model is frozen and only LoRA adapters with these settings
   *     are trained (and exchanged, and in the optimizer)
   */
  public Trainer(GptConfig config, TrainingOptions options, Device device, LoraConfig lora) {
    this.config = config;
    this.options = options;
    this.device = Objects.requireNonNull(device, "You must specify the replica's device");
    if (options.threads() > 0) {
      JniUtils.setNumThreads(options.threads());
    }
    // PyTorch's grad mode is per thread and on by default in threads the engine did not start
    // (e.g. Spark task threads); in-place updates of the weights need it off.
    JniUtils.setGradMode(false);
    this.manager = NDManager.newBaseManager(this.device);
    // The engine's RNG is global: replicas built concurrently in one JVM (Spark tasks on threads)
    // would interleave their draws and start from different weights.
    synchronized (Trainer.class) {
      Engine.getInstance().setRandomSeed(seedFor(options.seed(), -1));
      this.model = Gpt.create(manager, config);
      // Drawn right after the base, so a seed gives the same adapters on every replica.
      this.trainable = lora == null ? model.namedParameters() : model.addLora(manager, lora);
    }
    DataType compute = options.precision().computeType();
    model.setComputeType(compute);
    this.optimizer =
        new AdamW(
            trainable, options.beta1(), options.beta2(), options.eps(), options.weightDecay());
    this.schedule =
        new LrSchedule(
            options.learningRate(), options.minLr(), options.warmupSteps(), options.decaySteps());
    if (compute == DataType.FLOAT32) {
      this.half = null;
      this.store = new ParameterStore(manager, false);
    } else {
      // Half-precision leaves for the forward/backward; the fp32 parameters stay the master weights
      // that AdamW updates and checkpoints save. (DJL casts are invisible to autograd, so casting
      // the fp32 weights inside the forward pass would leave them without gradients.)
      this.half = new IdentityHashMap<>();
      Map<String, Parameter> every = new LinkedHashMap<>(model.namedParameters());
      every.putAll(model.loraParameters());
      for (Parameter p : every.values()) {
        NDArray h = p.getArray().toType(compute, true);
        h.attach(manager);
        h.setRequiresGradient(trainable.containsValue(p));
        half.put(p, h);
      }
      Map<Parameter, NDArray> copies = half;
      this.store =
          new ParameterStore(manager, false) {
            @Override
            public NDArray getValue(Parameter p, Device d, boolean training) {
              NDArray h = copies.get(p);
              return h != null ? h : super.getValue(p, d, training);
            }
          };
    }
    this.lossScale = options.precision().scalesLoss() ? options.lossScale() : 1.0;
  }

  /** Seed of step {@code step}'s random draws (-1: initialization). */
  static int seedFor(long seed, long step) {
    long h = seed * 0x9E3779B97F4A7C15L + (step + 2) * 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 31)) & 0x7fffffff;
  }

  public TrainingOptions options() {
    return options;
  }

  public Gpt model() {
    return model;
  }

  /** The parameters this replica trains: all of the model's, or its LoRA adapters. */
  public Map<String, Parameter> trainable() {
    return trainable;
  }

  /** Number of values in {@link #trainable()}. */
  public long trainableCount() {
    long n = 0;
    for (Parameter p : trainable.values()) {
      n += p.getArray().size();
    }
    return n;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  public Device device() {
    return device;
  }

  public NDManager manager() {
    return manager;
  }

  public double lossScale() {
    return lossScale;
  }

  public void setLossScale(double scale) {
    this.lossScale = scale;
  }

  /**
   * One optimizer step over {@code microBatches} (each rows of seq_len+1 token ids: inputs are
   * ids[0..T), targets ids[1..T]); the loss of each micro-batch is averaged, so k micro-batches of
   * b rows equal one batch of k·b rows.
   *
   * @param step 0-based index of this step (sets the LR and the dropout seed)
   */
  public StepResult step(List<int[][]> microBatches, long step) {
    return applyGradients(step, forwardBackward(microBatches, step), null);
  }

  /**
   * {@link #step} over batches that may carry a loss mask (see {@link #forwardBackwardBatches}).
   */
  public StepResult stepBatches(List<Batch> microBatches, long step) {
    return applyGradients(step, forwardBackwardBatches(microBatches, step), null);
  }

  /** {@link #forwardBackwardBatches} over packed rows (every target counts). */
  public double forwardBackward(List<int[][]> microBatches, long step) {
    return forwardBackwardBatches(microBatches.stream().map(Batch::packed).toList(), step);
  }

  /**
   * Forward and backward over the micro-batches, leaving the summed gradients of the mean loss in
   * the parameters' gradient buffers (a distributed trainer averages them before {@link
   * #applyGradients}). Returns the mean loss.
   *
   * <p>A micro-batch's loss is the mean cross-entropy over its counted targets (all of them when
   * packed; those with mask 1 when padded), and the step's loss is the mean of its micro-batches'
   * losses. A micro-batch whose mask counts no target has no loss: it is skipped (no forward, no
   * gradient) and the mean runs over the others; if none counts a target the loss is 0 and the
   * gradients stay zero, rather than 0/0 = NaN.
   */
  public double forwardBackwardBatches(List<Batch> microBatches, long step) {
    Engine.getInstance().setRandomSeed(seedFor(options.seed(), step));
    int k = 0;
    for (Batch b : microBatches) {
      k += b.lossTargets() > 0 ? 1 : 0;
    }
    if (k == 0) {
      return 0;
    }
    try (NDManager scope = manager.newSubManager()) {
      double lossSum = 0;
      try (AutoCloseable grad = Gradients.recording()) {
        for (Batch batch : microBatches) {
          if (batch.lossTargets() == 0) {
            continue;
          }
          NDArray rows = toArray(scope, batch.ids());
          NDArray x = rows.get(":, :-1");
          NDArray y = rows.get(":, 1:");
          NDArray logits = model.forward(store, x, null, true);
          NDArray loss =
              batch.mask() == null
                  ? Gpt.crossEntropy(logits, y)
                  : Gpt.crossEntropy(logits, y, toArray(scope, batch.mask()).get(":, 1:"));
          lossSum += loss.getFloat();
          Gradients.backward(loss.mul(Scalars.of(loss, lossScale / k)));
        }
      } catch (SparkLlmException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return lossSum / k;
    }
  }

  /**
   * Unscales (fp16), optionally reduces (e.g. averages across replicas, in place), clips and
   * applies the accumulated gradients with AdamW, then zeroes them.
   *
   * @param reduce called with name → gradient (fp32, owned by a scope closed after the step) before
   *     clipping; null for a single replica
   */
  public StepResult applyGradients(long step, double loss, Consumer<Map<String, NDArray>> reduce) {
    Map<String, Parameter> params = trainable;
    JniUtils.setGradMode(false);
    try (NDManager scope = manager.newSubManager()) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      for (Map.Entry<String, Parameter> e : params.entrySet()) {
        if (half == null) {
          grads.put(e.getKey(), Gradients.of(e.getValue(), scope));
        } else {
          NDArray g = half.get(e.getValue()).getGradient();
          g.attach(scope);
          grads.put(e.getKey(), g.toType(DataType.FLOAT32, true));
        }
      }
      if (lossScale != 1.0) {
        grads.values().forEach(g -> g.divi(lossScale));
      }
      if (reduce != null) {
        reduce.accept(grads);
      }
      double norm = Gradients.clipGlobalNorm(grads.values(), options.gradClip());
      double lr = schedule.lr(step);
      boolean skipped = false;
      if (!Double.isFinite(norm)) {
        if (!options.precision().scalesLoss()) {
          throw new SparkLlmException(
              "gradient norm is "
                  + norm
                  + " at step "
                  + step
                  + "; training diverged (lower training.learning_rate or set training.grad_clip)");
        }
        // fp16 overflow: drop this step and retry with a smaller loss scale.
        skipped = true;
        lossScale /= 2;
        cleanSteps = 0;
      } else {
        optimizer.update(params, grads, lr);
        if (options.precision().scalesLoss() && ++cleanSteps >= SCALE_GROWTH_INTERVAL) {
          lossScale *= 2;
          cleanSteps = 0;
        }
      }
      if (half == null) {
        Gradients.zero(params.values());
      } else {
        params.values().forEach(p -> Gradients.zero(half.get(p)));
        weightsChanged();
      }
      return new StepResult(loss, norm, lr, skipped);
    }
  }

  /** Call after changing the fp32 weights (load, update): refreshes the half-precision copies. */
  public void weightsChanged() {
    if (half == null) {
      return;
    }
    try (NDManager scope = manager.newSubManager()) {
      for (Map.Entry<Parameter, NDArray> e : half.entrySet()) {
        NDArray c = e.getKey().getArray().toType(e.getValue().getDataType(), false);
        c.attach(scope);
        e.getValue().set(new NDIndex(":"), c);
      }
    }
  }

  /** Mean loss over packed {@code batches} without dropout or gradients. */
  public double evalLoss(List<int[][]> batches) {
    return evalLossBatches(batches.stream().map(Batch::packed).toList());
  }

  /**
   * Mean over {@code batches} of each batch's loss (counted targets only, as in {@link
   * #forwardBackwardBatches}) without dropout or gradients; batches that count no target are left
   * out, and NaN when none is left.
   */
  public double evalLossBatches(List<Batch> batches) {
    JniUtils.setGradMode(false);
    double sum = 0;
    int n = 0;
    for (Batch batch : batches) {
      if (batch.lossTargets() == 0) {
        continue;
      }
      try (NDManager scope = manager.newSubManager()) {
        NDArray rows = toArray(scope, batch.ids());
        NDArray logits = model.forward(store, rows.get(":, :-1"), null, false);
        NDArray y = rows.get(":, 1:");
        NDArray loss =
            batch.mask() == null
                ? Gpt.crossEntropy(logits, y)
                : Gpt.crossEntropy(logits, y, toArray(scope, batch.mask()).get(":, 1:"));
        sum += loss.getFloat();
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** Current parameters' forward in eval mode, for tests and generation. */
  public ParameterStore store() {
    return store;
  }

  NDArray toArray(NDManager scope, int[][] batch) {
    int b = batch.length;
    int t = batch[0].length;
    if (t - 1 > config.contextLength()) {
      throw new SparkLlmException(
          "sequences of "
              + (t - 1)
              + " tokens exceed the model context of "
              + config.contextLength()
              + "; raise model.context_length or tokenize with a smaller seq_len");
    }
    int[] flat = new int[b * t];
    for (int i = 0; i < b; i++) {
      System.arraycopy(batch[i], 0, flat, i * t, t);
    }
    return scope.create(flat, new Shape(b, t)).toDevice(device, false);
  }

  @Override
  public void close() {
    optimizer.close();
    manager.close();
  }
}
