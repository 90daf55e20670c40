package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A safetensors file laid out as Hugging Face's GPT2LMHeadModel state dict: every name under {@code
 * transformer.}, the causal-mask buffers {@code h.N.attn.bias} / {@code attn.masked_bias}, and
 * {@code lm_head.weight} next to {@code wte.weight}.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class Gpt2HfLayoutTest {
  static final GptConfig TINY = new GptConfig(40, 8, 2, 2, 16, 0.0, 1e-5, 0.02);

  /** Our export renamed and extended the way GPT2LMHeadModel.state_dict() would have it. */
  static byte[] hfLayout(NDManager m, byte[] exported, Function<NDArray, NDArray> lmHead)
      throws Exception {
    NDList ours = NDList.decode(m, new ByteArrayInputStream(exported));
    NDList hf = new NDList();
    for (NDArray a : ours) {
      a.setName("transformer." + a.getName());
      hf.add(a);
    }
    int ctx = TINY.contextLength();
    for (int i = 0; i < TINY.nLayer(); i++) {
      boolean[] lower = new boolean[ctx * ctx];
      for (int r = 0; r < ctx; r++) {
        for (int c = 0; c <= r; c++) {
          lower[r * ctx + c] = true;
        }
      }
      NDArray mask = m.create(lower, new Shape(1, 1, ctx, ctx));
      mask.setName("transformer.h." + i + ".attn.bias");
      hf.add(mask);
      NDArray masked = m.create(new float[] {-1e4f});
      masked.setName("transformer.h." + i + ".attn.masked_bias");
      hf.add(masked);
    }
    NDArray head = lmHead.apply(ours.get("transformer.wte.weight"));
    head.setName("lm_head.weight");
    hf.add(head);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    hf.encode(out, NDList.Encoding.SAFETENSORS);
    return out.toByteArray();
  }

  static NDArray logits(NDManager m, Gpt model) {
    NDArray ids = m.create(new int[][] {{1, 5, 9, 13, 2, 39, 0, 7}});
    return model.forward(new ParameterStore(m, false), ids, null, false);
  }

  @Test
  void tiedHfCheckpointGivesTheOriginalLogits() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt original = Gpt.create(m, TINY);
      byte[] file = hfLayout(m, Gpt2Weights.export(original), NDArray::duplicate);
      Gpt loaded = Gpt.create(m, TINY);
      NDArray want = logits(m, original);
      // Freshly initialized, the second model answers differently: the load is what matches.
      assertThat(logits(m, loaded).sub(want).abs().max().getFloat()).isGreaterThan(1e-3f);

      Gpt2Weights.load(loaded, file, "hf.safetensors");
      assertThat(logits(m, loaded).sub(want).abs().max().getFloat()).isEqualTo(0f);
    }
  }

  @Test
  void untiedLmHeadIsAClearError() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt original = Gpt.create(m, TINY);
      // Before this was checked, the head was skipped and the model silently used wte instead.
      byte[] file = hfLayout(m, Gpt2Weights.export(original), w -> w.add(0.01f));
      Gpt loaded = Gpt.create(m, TINY);
      assertThatThrownBy(() -> Gpt2Weights.load(loaded, file, "untied.safetensors"))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("untied.safetensors")
          .hasMessageContaining("lm_head.weight differs from wte.weight");
    }
  }
}
