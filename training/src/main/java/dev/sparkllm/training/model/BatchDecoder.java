package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.optim.Gradients;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Decoding of several sequences at once, one new token each per {@link #step}: the continuous
 * batching of a server, where sequences of different lengths join and leave between steps.
 *
 * <p>Each sequence keeps its own (1, nh, T, hs) {@link KvCache}, so sequences of different lengths
 * need no attention mask: the projections, the MLP and the LM head run batched over all sequences
 * (where the work is), attention runs per sequence over its own cache, with the operations {@link
 * Gpt#forward} applies to one sequence.
 *
 * <p>Every step runs at a fixed batch {@code width}, padding unused rows. PyTorch's CPU matrix
 * product rounds a row differently depending on how many rows the product has (one row takes
 * another kernel than two, four another than three), but at a fixed number of rows a row's result
 * depends neither on its position nor on its neighbours. At a fixed width a sequence's logits are
 * therefore the same bits whatever else shares the step ({@code BatchDecoderTest}), and a seeded
 * request samples the same tokens under any load. The padding costs little: decoding is bound by
 * reading the weights, which a product reads once whatever its number of rows.
 *
 * <p>Not thread-safe: one scheduler thread drives it. Inference only (no gradients).
 */
public final class BatchDecoder {
  private final Gpt model;
  private final GptConfig config;
  private final ParameterStore ps;
  private final NDManager owner;
  private final Map<String, Parameter> p;
  private final int width;

  /**
   * @param width rows of every step: the most sequences a step can carry
   */
  public BatchDecoder(Gpt model, int width) {
    if (width < 1) {
      throw new IllegalArgumentException("batch width must be >= 1, got " + width);
    }
    this.width = width;
    this.model = model;
    this.config = model.config();
    this.p = model.namedParameters();
    this.owner = p.get("wte.weight").getArray().getManager();
    this.ps = new ParameterStore(owner, false);
  }

  public GptConfig config() {
    return config;
  }

  public int width() {
    return width;
  }

  /** A sequence being decoded: its KV cache. Close it to free the cache. */
  public final class Sequence implements AutoCloseable {
    private final KvCache cache;

    private Sequence() {
      this.cache = new KvCache(owner, config.nLayer());
    }

    /** Positions already in the cache. */
    public long length() {
      return cache.length();
    }

    @Override
    public void close() {
      cache.close();
    }
  }

  /** A new, empty sequence; {@link #prefill} it before stepping. */
  public Sequence open() {
    return new Sequence();
  }

  /**
   * Runs {@code ids} through the model into the sequence's cache and returns the logits (fp32) of
   * every position, (ids.length × V) row-major: the last row predicts the next token, the others
   * score the prompt itself.
   */
  public float[][] prefill(Sequence s, int[] ids) {
    if (ids.length == 0) {
      throw new SparkLlmException("empty prompt; give at least one token");
    }
    try (Gradients.Mode noGrad = Gradients.disabled();
        NDManager step = owner.newSubManager()) {
      NDArray x = step.create(ids, new Shape(1, ids.length));
      NDArray logits = model.forward(ps, x, s.cache, false).toType(DataType.FLOAT32, false);
      int v = config.vocabSize();
      float[] flat = logits.toFloatArray();
      float[][] rows = new float[ids.length][v];
      for (int t = 0; t < ids.length; t++) {
        System.arraycopy(flat, t * v, rows[t], 0, v);
      }
      return rows;
    }
  }

  /**
   * Feeds one token to each sequence (same order) and returns each sequence's next-token logits. A
   * sequence whose cache is full (model.context_length) is refused: callers bound prompt plus
   * output to the context.
   */
  public float[][] step(List<Sequence> seqs, int[] tokens) {
    int n = seqs.size();
    if (n != tokens.length || n > width) {
      throw new IllegalArgumentException(
          n + " sequences, " + tokens.length + " tokens, batch width " + width);
    }
    long[] positions = new long[width]; // padding rows: token 0 at position 0
    for (int i = 0; i < n; i++) {
      positions[i] = seqs.get(i).length();
      if (positions[i] >= config.contextLength()) {
        throw new SparkLlmException(
            "sequence of "
                + (positions[i] + 1)
                + " tokens exceeds the model context of "
                + config.contextLength()
                + " (model.context_length)");
      }
    }
    try (Gradients.Mode noGrad = Gradients.disabled();
        NDManager step = owner.newSubManager()) {
      NDArray ids = step.create(Arrays.copyOf(tokens, width), new Shape(width, 1));
      NDArray tok = embed(ids.toType(DataType.INT64, false), "wte.weight", ids); // (W, 1, C)
      NDArray pos = embed(step.create(positions, new Shape(width, 1)), "wpe.weight", ids);
      NDArray x = tok.add(pos);
      for (int l = 0; l < config.nLayer(); l++) {
        String h = "h." + l + ".";
        NDArray a = attention(seqs, l, h, norm(x, h + "ln_1"));
        x = x.add(a);
        NDArray m = linear(norm(x, h + "ln_2"), h + "mlp.c_fc");
        x = x.add(linear(Mlp.geluTanh(m), h + "mlp.c_proj"));
      }
      x = norm(x, "ln_f");
      NDArray logits = Linear.linear(x, value("wte.weight", x)).head();
      float[] flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
      int v = config.vocabSize();
      float[][] rows = new float[n][v];
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * v, rows[i], 0, v);
      }
      return rows;
    }
  }

  /** The layer's attention for each sequence over its own cache, projections batched. */
  private NDArray attention(List<Sequence> seqs, int layer, String h, NDArray x) {
    int nh = config.nHead();
    int hs = config.headSize();
    int c = config.nEmbd();
    NDList qkv = linear(x, h + "attn.c_attn").split(3, 2); // 3 × (W, 1, C)
    NDArray scale = null;
    NDList ys = new NDList(width);
    for (int i = 0; i < seqs.size(); i++) {
      NDIndex row = new NDIndex("{}:{}", i, i + 1);
      NDArray q = heads(qkv.get(0).get(row), nh, hs); // (1, nh, 1, hs)
      KvCache.Layer cache = seqs.get(i).cache.layer(layer);
      NDArray k = cache.appendKeys(heads(qkv.get(1).get(row), nh, hs));
      NDArray v = cache.appendValues(heads(qkv.get(2).get(row), nh, hs));
      NDArray att = q.matMul(k.transpose(0, 1, 3, 2));
      if (scale == null) {
        scale = Scalars.of(att, 1.0 / Math.sqrt(hs));
      }
      att = att.mul(scale).softmax(-1);
      ys.add(att.matMul(v).transpose(0, 2, 1, 3).reshape(1, 1, c));
    }
    if (seqs.size() < width) {
      ys.add(x.getManager().zeros(new Shape(width - seqs.size(), 1, c), x.getDataType()));
    }
    NDArray y = ys.size() == 1 ? ys.head() : NDArrays.concat(ys, 0);
    return linear(y, h + "attn.c_proj");
  }

  private static NDArray heads(NDArray z, int nh, int hs) {
    return z.reshape(1, 1, nh, hs).transpose(0, 2, 1, 3);
  }

  private NDArray embed(NDArray ids, String weight, NDArray like) {
    return Embedding.embedding(ids, value(weight, like), SparseFormat.DENSE).head();
  }

  private NDArray norm(NDArray x, String prefix) {
    return GptBlock.layerNorm(
        x, value(prefix + ".weight", x), value(prefix + ".bias", x), config.layerNormEps());
  }

  private NDArray linear(NDArray x, String prefix) {
    return Linear.linear(x, value(prefix + ".weight", x), value(prefix + ".bias", x)).head();
  }

  private NDArray value(String name, NDArray like) {
    return ps.getValue(p.get(name), like.getDevice(), false);
  }
}
