package dev.sparkllm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face GPT-2 weights in safetensors ↔ our parameters. GPT-2's {@code Conv1D} layers ({@code
 * c_attn}, {@code c_proj}, {@code c_fc}) store weights [in, out] and compute x·W + b; DJL's Linear
 * stores [out, in], so those four matrices are transposed both ways. Names may carry the {@code
 * transformer.} prefix of GPT2LMHeadModel's state dict; {@code lm_head.weight} must equal {@code
 * wte.weight} (tied; an untied head is refused) and the causal-mask buffers ({@code attn.bias},
 * {@code attn.masked_bias}) of old checkpoints are not weights.
 */
public final class Gpt2Weights {
  private static final String PREFIX = "transformer.";
  private static final String LM_HEAD = "lm_head.weight";

  private Gpt2Weights() {}

  static boolean isConv1D(String name) {
    return name.endsWith("attn.c_attn.weight")
        || name.endsWith("attn.c_proj.weight")
        || name.endsWith("mlp.c_fc.weight")
        || name.endsWith("mlp.c_proj.weight");
  }

  /**
   * Copies the tensors of a GPT-2 safetensors file into the model's parameters (in place). The
   * layout is checked first, so a damaged file is a one-line error naming {@code origin}.
   */
  public static void load(Gpt model, byte[] safetensors, String origin) {
    SafetensorsHeader.check(safetensors, origin);
    Map<String, Parameter> params = model.namedParameters();
    NDManager owner = params.get("wte.weight").getArray().getManager();
    try (NDManager m = owner.newSubManager()) {
      NDList list;
      try {
        list = NDList.decode(m, new ByteArrayInputStream(safetensors));
      } catch (RuntimeException e) {
        throw new SparkLlmException(
            origin + " is not a readable safetensors file (" + e.getMessage() + ")", e);
      }
      TreeSet<String> missing = new TreeSet<>(params.keySet());
      List<String> unexpected = new ArrayList<>();
      NDArray lmHead = null;
      NDArray wte = null;
      for (NDArray src : list) {
        String name = src.getName();
        if (name != null && name.startsWith(PREFIX)) {
          name = name.substring(PREFIX.length());
        }
        if (LM_HEAD.equals(name)) {
          lmHead = src;
          continue;
        }
        if (name == null || name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) {
          continue;
        }
        if (name.equals("wte.weight")) {
          wte = src;
        }
        Parameter p = params.get(name);
        if (p == null) {
          unexpected.add(name);
          continue;
        }
        NDArray value = isConv1D(name) ? src.transpose() : src;
        Shape want = p.getArray().getShape();
        if (!value.getShape().equals(want)) {
          throw new SparkLlmException(
              origin
                  + ": tensor "
                  + src.getName()
                  + " has shape "
                  + src.getShape()
                  + " but the model ("
                  + describe(model.config())
                  + ") needs "
                  + (isConv1D(name)
                      ? want.get(1) + ", " + want.get(0) + " (Conv1D layout)"
                      : want));
        }
        p.getArray().set(new NDIndex(":"), value.toType(DataType.FLOAT32, false));
        missing.remove(name);
      }
      if (!unexpected.isEmpty()) {
        throw new SparkLlmException(
            origin + " has tensors this GPT-2 model does not know: " + head(unexpected));
      }
      if (!missing.isEmpty()) {
        throw new SparkLlmException(
            origin + " lacks tensors the model needs: " + head(new ArrayList<>(missing)));
      }
      checkTied(lmHead, wte, origin);
    }
  }

  /**
   * Our LM head is the token embedding itself, so a file whose {@code lm_head.weight} is a
   * different matrix (a fine-tune with untied heads) cannot be loaded without silently changing the
   * model's outputs.
   */
  private static void checkTied(NDArray lmHead, NDArray wte, String origin) {
    if (lmHead == null) {
      return;
    }
    if (!lmHead.getShape().equals(wte.getShape())
        || !lmHead
            .toType(DataType.FLOAT32, false)
            .contentEquals(wte.toType(DataType.FLOAT32, false))) {
      throw new SparkLlmException(
          origin
              + ": lm_head.weight differs from wte.weight (an untied LM head), but this GPT-2 ties"
              + " the LM head to the token embedding; use a checkpoint with tied weights");
    }
  }

  /**
   * The model's weights as a Hugging Face GPT-2 safetensors file (no prefix, fp32, {@code
   * __metadata__} {@code {"format": "pt"}}, which transformers requires).
   */
  public static byte[] export(Gpt model) {
    return export(model, Map.of());
  }

  /**
   * {@link #export(Gpt)} with some weights replaced by {@code replace} (name → [out, in] array in
   * our layout), e.g. the merged weights of a LoRA model.
   */
  public static byte[] export(Gpt model, Map<String, NDArray> replace) {
    Map<String, Parameter> params = model.namedParameters();
    NDManager owner = params.get("wte.weight").getArray().getManager();
    try (NDManager m = owner.newSubManager()) {
      NDList list = new NDList();
      for (Map.Entry<String, Parameter> e : params.entrySet()) {
        NDArray a = replace.getOrDefault(e.getKey(), e.getValue().getArray());
        m.tempAttachAll(a);
        NDArray out = isConv1D(e.getKey()) ? a.transpose() : a.duplicate();
        out = out.toType(DataType.FLOAT32, true);
        out.setName(e.getKey());
        list.add(out);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      list.encode(bytes, NDList.Encoding.SAFETENSORS);
      return SafetensorsHeader.withMetadata(bytes.toByteArray(), Map.of("format", "pt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String describe(GptConfig c) {
    return "n_layer "
        + c.nLayer()
        + ", n_embd "
        + c.nEmbd()
        + ", vocab "
        + c.vocabSize()
        + ", context "
        + c.contextLength();
  }

  private static String head(List<String> names) {
    return names.size() <= 5
        ? String.join(", ", names)
        : String.join(", ", names.subList(0, 5)) + " … (" + names.size() + " in all)";
  }
}
