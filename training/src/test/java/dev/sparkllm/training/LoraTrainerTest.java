package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.LoraConfig;
import dev.sparkllm.training.optim.Gradients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LoRA on a frozen base, with real DJL models on CPU. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LoraTrainerTest {
  static final LoraConfig ALL = new LoraConfig(4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"));

  @BeforeAll
  static void engine() {
    Engine.getEngine(
        "PyTorch"); // Trainer's JNI calls need it loaded; Device.cpu() does not load it
  }

  static float[] logits(Gpt model, ParameterStore store, int[][] rows) {
    try (Gradients.Mode off = Gradients.disabled();
        NDManager m = NDManager.newBaseManager(Device.cpu())) {
      int t = rows[0].length;
      int[] flat = new int[rows.length * t];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(rows[i], 0, flat, i * t, t);
      }
      NDArray ids = m.create(flat, new Shape(rows.length, t));
      return model.forward(store, ids, null, false).toFloatArray();
    }
  }

  static Map<String, float[]> snapshot(Map<String, Parameter> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
    return out;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void freshAdaptersLeaveTheForwardExactlyAsTheBase() {
    TrainingOptions o = TrainerTest.options();
    int[][] ids = TrainerTest.rows(3, 2, 16, TrainerTest.TINY.vocabSize());
    try (Trainer base = new Trainer(TrainerTest.TINY, o, Device.cpu());
        Trainer lora = new Trainer(TrainerTest.TINY, o, Device.cpu(), ALL)) {
      // Same seed, adapters drawn after the base: the base weights are the same.
      assertThat(
              TrainerTest.maxDiff(base.model().namedParameters(), lora.model().namedParameters()))
          .isZero();
      assertThat(logits(lora.model(), lora.store(), ids))
          .containsExactly(logits(base.model(), base.store(), ids));
    }
  }

  @Test
  void onlyTheAdaptersTrainAndTheMergedModelComputesTheSame() {
    TrainingOptions o = TrainerTest.options("training.learning_rate=1.0e-2");
    int[][] batch = TrainerTest.rows(7, 4, 9, TrainerTest.TINY.vocabSize());
    int[][] probe = TrainerTest.rows(11, 2, 16, TrainerTest.TINY.vocabSize());
    try (Trainer t = new Trainer(TrainerTest.TINY, o, Device.cpu(), ALL);
        Trainer plain = new Trainer(TrainerTest.TINY, o, Device.cpu())) {
      Map<String, float[]> base = snapshot(t.model().namedParameters());
      float[] before = logits(t.model(), t.store(), probe);
      List<Double> losses = new ArrayList<>();
      for (int s = 0; s < 8; s++) {
        losses.add(t.step(List.<int[][]>of(batch), s).loss());
      }
      assertThat(losses.get(7)).isLessThan(losses.get(0));
      Map<String, float[]> after = snapshot(t.model().namedParameters());
      for (String name : base.keySet()) {
        assertThat(after.get(name)).as(name).containsExactly(base.get(name));
      }
      float[] adapted = logits(t.model(), t.store(), probe);
      assertThat(maxAbsDiff(adapted, before)).isGreaterThan(1e-3);

      byte[] merged;
      try (NDManager m = t.manager().newSubManager()) {
        merged = Gpt2Weights.export(t.model(), t.model().mergedWeights(m));
      }
      try (Gradients.Mode off = Gradients.disabled()) {
        Gpt2Weights.load(plain.model(), merged, "merged");
      }
      assertThat(maxAbsDiff(logits(plain.model(), plain.store(), probe), adapted)).isLessThan(1e-5);
    }
  }

  @Test
  void onlyAdapterGradientsReachTheExchangeAndTheirCountIsReported() {
    try (Trainer t = new Trainer(TrainerTest.TINY, TrainerTest.options(), Device.cpu(), ALL)) {
      // Per layer r·(in+out): c_attn 4·(32+96), attn.c_proj 4·(32+32), c_fc 4·(32+128),
      // mlp.c_proj 4·(128+32); two layers.
      assertThat(t.trainableCount()).isEqualTo(2L * (512 + 256 + 640 + 640));
      int[][] batch = TrainerTest.rows(5, 2, 9, TrainerTest.TINY.vocabSize());
      double loss = t.forwardBackward(List.<int[][]>of(batch), 0);
      List<String> exchanged = new ArrayList<>();
      t.applyGradients(0, loss, grads -> exchanged.addAll(grads.keySet()));
      assertThat(exchanged)
          .containsExactlyElementsOf(t.model().loraParameters().keySet())
          .contains("h.0.attn.c_attn.lora_A.weight", "h.1.mlp.c_proj.lora_B.weight")
          .hasSize(16);
    }
  }

  @Test
  void targetModulesSelectTheLayers() {
    LoraConfig qkv = new LoraConfig(2, 4, 0.0, List.of("attn.c_attn"));
    try (Trainer t = new Trainer(TrainerTest.TINY, TrainerTest.options(), Device.cpu(), qkv)) {
      assertThat(t.model().loraParameters().keySet())
          .containsExactly(
              "h.0.attn.c_attn.lora_A.weight",
              "h.0.attn.c_attn.lora_B.weight",
              "h.1.attn.c_attn.lora_A.weight",
              "h.1.attn.c_attn.lora_B.weight");
      assertThat(qkv.scaling()).isEqualTo(2.0);
    }
    assertThat(new LoraConfig(2, 4, 0, List.of("c_proj")).targets("mlp.c_proj")).isTrue();
    assertThatThrownBy(() -> new LoraConfig(2, 4, 0, List.of("q_proj")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("finetune.lora.target_modules names 'q_proj'");
    assertThatThrownBy(() -> new LoraConfig(0, 4, 0, List.of("c_attn")))
        .hasMessageContaining("finetune.lora.rank must be > 0");
  }

  @Test
  void theDefaultsReadAsAConfig() {
    Config c = Config.load(null, List.of("finetune.lora.target_modules=[attn.c_attn]"));
    assertThat(LoraConfig.fromConfig(c.section("finetune.lora")))
        .isEqualTo(new LoraConfig(8, 16, 0.05, List.of("attn.c_attn")));
    assertThat(c.getDouble("finetune.dpo.beta")).isEqualTo(0.1);
  }
}
