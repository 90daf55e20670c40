package dev.sparkllm.training.model;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of a GPT-2 style decoder. Presets follow nanoGPT's sizes: {@code tiny} trains a real step
 * in well under a second on 2 CPU cores, {@code mini} is nanoGPT's Shakespeare model, {@code gpt2}
 * is the 124M model.
 *
 * @param vocabSize tokens in the vocabulary (from the data manifest when training)
 * @param contextLength maximum sequence length (learned position embeddings)
 * @param nLayer transformer blocks
 * @param nHead attention heads; must divide {@code nEmbd}
 * @param nEmbd model width
 * @param dropout dropout on embeddings, attention probabilities and residual branches
 * @param layerNormEps LayerNorm epsilon (GPT-2: 1e-5)
 * @param initStd standard deviation of the normal initialization (GPT-2: 0.02)
 */
public record GptConfig(
    int vocabSize,
    int contextLength,
    int nLayer,
    int nHead,
    int nEmbd,
    double dropout,
    double layerNormEps,
    double initStd)
    implements java.io.Serializable {

  public static final String TINY = "tiny";
  public static final String MINI = "mini";
  public static final String GPT2 = "gpt2";

  public GptConfig {
    check(vocabSize > 0, "model.vocab_size must be > 0, got " + vocabSize);
    check(contextLength > 0, "model.context_length must be > 0, got " + contextLength);
    check(nLayer > 0, "model.n_layer must be > 0, got " + nLayer);
    check(nHead > 0 && nEmbd > 0, "model.n_head and model.n_embd must be > 0");
    check(
        nEmbd % nHead == 0,
        "model.n_embd (" + nEmbd + ") must be divisible by model.n_head (" + nHead + ")");
    check(dropout >= 0 && dropout < 1, "model.dropout must be in [0, 1), got " + dropout);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new SparkLlmException(message);
    }
  }

  /** A named preset; {@code vocabSize} is usually the tokenizer's. */
  public static GptConfig preset(String name, int vocabSize) {
    return switch (name) {
      case TINY -> new GptConfig(vocabSize, 128, 2, 2, 64, 0.0, 1e-5, 0.02);
      case MINI -> new GptConfig(vocabSize, 256, 6, 6, 384, 0.1, 1e-5, 0.02);
      case GPT2 -> new GptConfig(vocabSize, 1024, 12, 12, 768, 0.0, 1e-5, 0.02);
      default ->
          throw new SparkLlmException(
              "unknown model.preset '" + name + "'; use tiny, mini or gpt2");
    };
  }

  /**
   * Reads the {@code model} section: the preset, then every field that is set (0, or -1 for
   * dropout, means "the preset's value"). {@code dataVocabSize} fills {@code vocab_size: 0}.
   */
  public static GptConfig fromConfig(Config model, int dataVocabSize) {
    int configured = model.getInt("vocab_size");
    int vocab = configured > 0 ? configured : dataVocabSize;
    GptConfig p = preset(model.getString("preset"), Math.max(vocab, 1));
    int ctx = model.getInt("context_length");
    int layers = model.getInt("n_layer");
    int heads = model.getInt("n_head");
    int embd = model.getInt("n_embd");
    double drop = model.getDouble("dropout");
    return new GptConfig(
        vocab,
        ctx > 0 ? ctx : p.contextLength,
        layers > 0 ? layers : p.nLayer,
        heads > 0 ? heads : p.nHead,
        embd > 0 ? embd : p.nEmbd,
        drop >= 0 ? drop : p.dropout,
        model.getDouble("layer_norm_eps"),
        model.getDouble("init_std"));
  }

  public int headSize() {
    return nEmbd / nHead;
  }

  /** Parameters, counting the tied embedding once (as nanoGPT and HF report). */
  public long parameterCount() {
    long c = nEmbd;
    long perLayer =
        2 * 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c);
    return (long) vocabSize * c + (long) contextLength * c + nLayer * perLayer + 2 * c;
  }

  /**
   * Training FLOPs per token: 6·N for the weights plus the attention scores (PaLM appendix B, as
   * nanoGPT's estimate_mfu), with N excluding position embeddings.
   */
  public double flopsPerToken(int seqLen) {
    long n = parameterCount() - (long) contextLength * nEmbd;
    return 6.0 * n + 12.0 * nLayer * nEmbd * seqLen;
  }

  /** Hugging Face {@code config.json} for GPT2LMHeadModel, so an export loads in transformers. */
  public Map<String, Object> toHfConfig() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model_type", "gpt2");
    m.put("architectures", new String[] {"GPT2LMHeadModel"});
    m.put("vocab_size", vocabSize);
    m.put("n_positions", contextLength);
    m.put("n_ctx", contextLength);
    m.put("n_layer", nLayer);
    m.put("n_head", nHead);
    m.put("n_embd", nEmbd);
    m.put("n_inner", null);
    m.put("activation_function", "gelu_new");
    m.put("layer_norm_epsilon", layerNormEps);
    m.put("initializer_range", initStd);
    m.put("resid_pdrop", dropout);
    m.put("embd_pdrop", dropout);
    m.put("attn_pdrop", dropout);
    m.put("tie_word_embeddings", true);
    return m;
  }

  /** Reads a Hugging Face GPT-2 {@code config.json} (as a parsed map). */
  public static GptConfig fromHfConfig(Map<String, Object> m) {
    Object inner = m.get("n_inner");
    if (inner != null && ((Number) inner).intValue() != 4 * ((Number) m.get("n_embd")).intValue()) {
      throw new SparkLlmException("GPT-2 config with n_inner != 4*n_embd is not supported");
    }
    return new GptConfig(
        ((Number) m.get("vocab_size")).intValue(),
        ((Number) m.getOrDefault("n_positions", m.get("n_ctx"))).intValue(),
        ((Number) m.get("n_layer")).intValue(),
        ((Number) m.get("n_head")).intValue(),
        ((Number) m.get("n_embd")).intValue(),
        ((Number) m.getOrDefault("resid_pdrop", 0.0)).doubleValue(),
        ((Number) m.getOrDefault("layer_norm_epsilon", 1e-5)).doubleValue(),
        ((Number) m.getOrDefault("initializer_range", 0.02)).doubleValue());
  }
}
