package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.sparkllm.core.SparkLlmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 decoder: token + learned position embeddings, {@code nLayer} pre-LN blocks, final
 * LayerNorm, LM head tied to the token embedding. Input: token ids (B, T) int; output: logits (B,
 * T, V) in the compute type (fp32 unless {@link #setComputeType} says otherwise).
 *
 * <p>Parameters are named as in Hugging Face's GPT-2 ({@code wte.weight}, {@code h.0.attn.c_attn
 * .weight}, ...), see {@link #namedParameters()}; matrices use DJL's [out, in] layout.
 */
public final class Gpt extends GptModule {
  private final GptConfig config;
  private final Parameter wte;
  private final Parameter wpe;
  private final List<GptBlock> blocks = new ArrayList<>();
  private final Parameter lnFW;
  private final Parameter lnFB;
  private final Map<String, Parameter> all;
  private final Map<String, Parameter> lora = new LinkedHashMap<>();
  private LoraConfig loraConfig;

  private Gpt(GptConfig config) {
    this.config = config;
    wte =
        param(
            "wte.weight",
            Parameter.Type.WEIGHT,
            new Shape(config.vocabSize(), config.nEmbd()),
            normal(config.initStd()));
    wpe =
        param(
            "wpe.weight",
            Parameter.Type.WEIGHT,
            new Shape(config.contextLength(), config.nEmbd()),
            normal(config.initStd()));
    for (int i = 0; i < config.nLayer(); i++) {
      blocks.add(addChildBlock("h." + i, new GptBlock(config)));
    }
    Shape c = new Shape(config.nEmbd());
    lnFW = param("ln_f.weight", Parameter.Type.GAMMA, c, Initializer.ONES);
    lnFB = param("ln_f.bias", Parameter.Type.BETA, c, Initializer.ZEROS);
    Map<String, Parameter> m = new LinkedHashMap<>();
    collect("", m);
    all = Collections.unmodifiableMap(m);
  }

  /**
   * A model with freshly initialized fp32 parameters in {@code manager}, drawn from the engine's
   * generator (seed it first with {@code Engine.getInstance().setRandomSeed}).
   */
  public static Gpt create(NDManager manager, GptConfig config) {
    Gpt model = new Gpt(config);
    model.initialize(manager, DataType.FLOAT32, new Shape(1, config.contextLength()));
    return model;
  }

  public GptConfig config() {
    return config;
  }

  /** HF-style name → parameter, in a fixed order (embeddings, blocks, final norm). */
  public Map<String, Parameter> namedParameters() {
    return all;
  }

  /**
   * Puts LoRA adapters (B = 0, A random from the engine's generator) on the layers {@code config}
   * targets and freezes every base parameter: from now on only the adapters take gradients. The
   * base parameters keep their names and stay in {@link #namedParameters()}; the adapters are
   * {@link #loraParameters()} ({@code h.0.attn.c_attn.lora_A.weight}, ...).
   *
   * @return the adapters' parameters, the ones to train
   */
  public Map<String, Parameter> addLora(NDManager manager, LoraConfig config) {
    if (loraConfig != null) {
      throw new IllegalStateException("the model already has LoRA adapters");
    }
    for (int i = 0; i < blocks.size(); i++) {
      blocks.get(i).addAdapters(manager, "h." + i + ".", config, lora);
    }
    all.values().forEach(p -> p.freeze(true));
    loraConfig = config;
    return loraParameters();
  }

  /** The LoRA adapters' parameters by name, in model order; empty without adapters. */
  public Map<String, Parameter> loraParameters() {
    return Collections.unmodifiableMap(lora);
  }

  /** The adapters' settings, or null when the model has none. */
  public LoraConfig loraConfig() {
    return loraConfig;
  }

  /** Switches the adapters off (the base model computes) or back on. */
  public void setAdaptersEnabled(boolean on) {
    blocks.forEach(b -> b.setAdaptersEnabled(on));
  }

  /**
   * Each adapted weight's name → W + (alpha/r)·B·A (fp32, [out, in], owned by {@code manager}): the
   * weights of a plain model that computes what base + adapters compute. The model is unchanged.
   */
  public Map<String, NDArray> mergedWeights(NDManager manager) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < blocks.size(); i++) {
      blocks.get(i).mergedWeights("h." + i + ".", manager, out);
    }
    return out;
  }

  /**
   * Runs the forward pass in {@code type} (fp32 or fp16). DJL's casts are not tracked by autograd,
   * so for training in half precision the parameter store must supply half-precision copies of the
   * weights (see Trainer); otherwise parameters are cast on the fly (inference).
   */
  public void setComputeType(DataType type) {
    super.setComputeType(type);
    blocks.forEach(b -> b.setComputeType(type));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(forward(ps, inputs.head(), null, training));
  }

  /**
   * @param ids (B, T) token ids
   * @param cache keys/values of earlier positions (extended by this call), or null
   * @return logits (B, T, V) in the compute type
   */
  public NDArray forward(ParameterStore ps, NDArray ids, KvCache cache, boolean training) {
    long t = ids.getShape().get(1);
    long past = cache == null ? 0 : cache.length();
    if (past + t > config.contextLength()) {
      throw new SparkLlmException(
          "sequence of "
              + (past + t)
              + " tokens exceeds the model context of "
              + config.contextLength()
              + " (model.context_length)");
    }
    NDManager m = ids.getManager();
    NDArray tokens =
        Embedding.embedding(
                ids.toType(DataType.INT64, false),
                value(ps, wte, ids, training),
                SparseFormat.DENSE)
            .head(); // (B, T, C)
    // An embedding lookup rather than a slice of wpe: results of ops on a parameter would be owned
    // by the model's manager and accumulate there step after step.
    NDArray positions =
        Embedding.embedding(
                m.arange((int) past, (int) (past + t), 1, DataType.INT64),
                value(ps, wpe, ids, training),
                SparseFormat.DENSE)
            .head(); // (T, C)
    NDArray x = tokens.add(positions);
    if (training && config.dropout() > 0) {
      x = Dropout.dropout(x, (float) config.dropout(), true).head();
    }
    NDArray mask = CausalSelfAttention.causalMask(m, t, past);
    for (int i = 0; i < blocks.size(); i++) {
      x = blocks.get(i).forward(ps, x, mask, cache == null ? null : cache.layer(i), training);
    }
    x =
        GptBlock.layerNorm(
            x, value(ps, lnFW, x, training), value(ps, lnFB, x, training), config.layerNormEps());
    return Linear.linear(x, value(ps, wte, x, training)).head(); // (B, T, V)
  }

  /**
   * Mean next-token cross-entropy in fp32: logits (B, T, V) in any float type, targets (B, T) int.
   * Returns a scalar.
   */
  public static NDArray crossEntropy(NDArray logits, NDArray targets) {
    return targetLogProbs(logits, targets).mean().neg();
  }

  /**
   * Mean next-token cross-entropy in fp32 over the targets whose {@code mask} (B, T; 1 counts, 0
   * does not) is 1: sum of their losses / their number. The mask must cover at least one target
   * (callers skip all-zero masks; here they would give 0/0 = NaN). Returns a scalar.
   */
  public static NDArray crossEntropy(NDArray logits, NDArray targets, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false);
    NDArray picked = targetLogProbs(logits, targets).squeeze(-1); // (B, T)
    // Array×array and array÷array only: the mask is a constant operand autograd may keep.
    return picked.mul(m).sum().div(m.sum()).neg();
  }

  /**
   * Per row, the sum of log p(target) over the targets whose {@code mask} (B, T) is 1: the
   * log-probability of a response given its prompt, as DPO compares them. Returns (B,) in fp32.
   */
  public static NDArray sequenceLogProbs(NDArray logits, NDArray targets, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false);
    return targetLogProbs(logits, targets).squeeze(-1).mul(m).sum(new int[] {1});
  }

  /** log p(target) per position, (B, T, 1) in fp32. */
  private static NDArray targetLogProbs(NDArray logits, NDArray targets) {
    // log_softmax with an fp32 output dtype: the one cast PyTorch tracks for autograd here.
    NDArray logp =
        logits.getDataType() == DataType.FLOAT32
            ? logits.logSoftmax(-1)
            : JniUtils.logSoftmax((PtNDArray) logits, -1, DataType.FLOAT32);
    return logp.gather(targets.toType(DataType.INT64, false).expandDims(-1), -1);
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    for (GptBlock b : blocks) {
      b.initialize(manager, dataType, inputShapes);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), config.vocabSize())};
  }

  @Override
  void collect(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "wte.weight", wte);
    out.put(prefix + "wpe.weight", wpe);
    for (int i = 0; i < blocks.size(); i++) {
      blocks.get(i).collect(prefix + "h." + i + ".", out);
    }
    out.put(prefix + "ln_f.weight", lnFW);
    out.put(prefix + "ln_f.bias", lnFB);
  }
}
