package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * Multi-head causal self-attention with one fused QKV projection (GPT-2's {@code c_attn}). DJL 0.35
 * has no fused attention kernel, so scores, mask and softmax are explicit; the softmax runs in fp32
 * whatever the compute type. Weights use DJL's Linear layout [out, in] (GPT-2's Conv1D stores the
 * transpose).
 */
public final class CausalSelfAttention extends GptModule {
  private final GptConfig config;
  private final Parameter cAttnW;
  private final Parameter cAttnB;
  private final Parameter cProjW;
  private final Parameter cProjB;

  CausalSelfAttention(GptConfig config) {
    this.config = config;
    int c = config.nEmbd();
    double residStd = config.initStd() / Math.sqrt(2.0 * config.nLayer());
    cAttnW =
        param(
            "c_attn.weight", Parameter.Type.WEIGHT, new Shape(3L * c, c), normal(config.initStd()));
    cAttnB = param("c_attn.bias", Parameter.Type.BIAS, new Shape(3L * c), Initializer.ZEROS);
    cProjW = param("c_proj.weight", Parameter.Type.WEIGHT, new Shape(c, c), normal(residStd));
    cProjB = param("c_proj.bias", Parameter.Type.BIAS, new Shape(c), Initializer.ZEROS);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(
        forward(ps, inputs.head(), inputs.size() > 1 ? inputs.get(1) : null, null, training));
  }

  /**
   * @param x (B, T, C)
   * @param mask additive (T, Tk) fp32 mask, or null when no key lies in a query's future
   * @param cache this layer's keys and values from earlier positions (updated), or null
   */
  NDArray forward(
      ParameterStore ps, NDArray x, NDArray mask, KvCache.Layer cache, boolean training) {
    Shape s = x.getShape();
    long b = s.get(0);
    long t = s.get(1);
    int c = config.nEmbd();
    int nh = config.nHead();
    int hs = config.headSize();
    NDArray qkv =
        adapted(
            "c_attn",
            ps,
            x,
            Linear.linear(x, value(ps, cAttnW, x, training), value(ps, cAttnB, x, training)).head(),
            training); // (B, T, 3C)
    NDList parts = qkv.split(3, 2);
    NDArray q = heads(parts.get(0), b, t, nh, hs); // (B, nh, T, hs)
    NDArray k = heads(parts.get(1), b, t, nh, hs);
    NDArray v = heads(parts.get(2), b, t, nh, hs);
    if (cache != null) {
      k = cache.appendKeys(k); // (B, nh, Tk, hs)
      v = cache.appendValues(v);
    }
    // Scale q rather than the scores: (T, hs) per head is smaller than (T, Tk) once Tk > hs.
    q = q.mul(Scalars.of(q, 1.0 / Math.sqrt(hs))); // not mul(Number): see Scalars
    NDArray att = q.matMul(k.transpose(0, 1, 3, 2)); // (B, nh, T, Tk)
    if (mask != null) {
      // The mask needs no gradient, so its cast may leave the graph (DJL's toType is not tracked).
      att =
          att.add(
              mask.getDataType() == att.getDataType()
                  ? mask
                  : mask.toType(att.getDataType(), false));
    }
    // In half precision too: DJL casts would cut the autograd graph, and GPU softmax kernels
    // accumulate in fp32 anyway.
    att = att.softmax(-1);
    att = dropout(att, training);
    NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, c); // (B, T, C)
    y =
        adapted(
            "c_proj",
            ps,
            y,
            Linear.linear(y, value(ps, cProjW, y, training), value(ps, cProjB, y, training)).head(),
            training);
    return dropout(y, training);
  }

  private static NDArray heads(NDArray z, long b, long t, int nh, int hs) {
    return z.reshape(b, t, nh, hs).transpose(0, 2, 1, 3);
  }

  private NDArray dropout(NDArray x, boolean training) {
    return training && config.dropout() > 0
        ? Dropout.dropout(x, (float) config.dropout(), true).head()
        : x;
  }

  /**
   * Additive causal mask (Tq, Tk) in fp32: 0 where query i (at absolute position past + i) may see
   * key j, a large negative number above the diagonal. Null when Tq == 1 (sees everything cached).
   */
  static NDArray causalMask(ai.djl.ndarray.NDManager manager, long tq, long past) {
    if (tq == 1) {
      return null;
    }
    long tk = past + tq;
    NDArray keys = manager.arange(0, (int) tk, 1, DataType.INT64).reshape(1, tk);
    NDArray queries = manager.arange(0, (int) tq, 1, DataType.INT64).add(past).reshape(tq, 1);
    // -1e9 rather than -inf: exp underflows to exactly 0 either way, and 0 * -inf would be NaN.
    NDArray above = keys.gt(queries).toType(DataType.FLOAT32, false);
    return above.mul(Scalars.of(above, -1e9)); // not mul(Number), which ScalarsTest forbids here
  }

  @Override
  void addAdapters(
      ai.djl.ndarray.NDManager manager,
      String prefix,
      LoraConfig config,
      Map<String, Parameter> out) {
    addAdapter(manager, prefix, "c_attn", "attn.c_attn", cAttnW, config, out);
    addAdapter(manager, prefix, "c_proj", "attn.c_proj", cProjW, config, out);
  }

  @Override
  void collect(String prefix, Map<String, Parameter> out) {
    named.forEach((k, p) -> out.put(prefix + k, p));
  }
}
