package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.LoraConfig;
import java.io.Serializable;

/**
 * What a fine-tuning run trains on top of {@code train}'s loop: LoRA adapters instead of every
 * weight ({@code lora} not null), and the DPO objective on preference shards instead of the
 * language-model loss ({@code dpoBeta} not null). Both null is plain training (and SFT).
 */
public record FineTuning(LoraConfig lora, Double dpoBeta) implements Serializable {
  public FineTuning {
    if (dpoBeta != null && !(dpoBeta > 0)) {
      throw new SparkLlmException("finetune.dpo.beta must be > 0, got " + dpoBeta);
    }
  }

  public static final FineTuning NONE = new FineTuning(null, null);

  /** {@code finetune --method lora}: adapters from {@code finetune.lora}, language-model loss. */
  public static FineTuning lora(Config config) {
    return new FineTuning(LoraConfig.fromConfig(config.section("finetune.lora")), null);
  }

  /**
   * {@code finetune --method dpo}: every weight trained with DPO ({@code finetune.dpo.beta}), or
   * LoRA adapters when {@code withLora}.
   */
  public static FineTuning dpo(Config config, boolean withLora) {
    return new FineTuning(
        withLora ? LoraConfig.fromConfig(config.section("finetune.lora")) : null,
        config.getDouble("finetune.dpo.beta"));
  }

  public boolean dpo() {
    return dpoBeta != null;
  }
}
