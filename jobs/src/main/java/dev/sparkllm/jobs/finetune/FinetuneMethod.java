package dev.sparkllm.jobs.finetune;

import dev.sparkllm.core.SparkLlmException;
import java.util.Arrays;
import java.util.Locale;

/** {@code finetune.method} (CLI {@code --method}), parsed once. */
public enum FinetuneMethod {
  /** Full fine-tuning, loss on response tokens only. */
  SFT,
  /** Low-rank adapters on a frozen base. */
  LORA,
  /** Direct Preference Optimization against a frozen reference. */
  DPO;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static FinetuneMethod parse(String value) {
    for (FinetuneMethod m : values()) {
      if (m.key().equals(value)) {
        return m;
      }
    }
    throw new SparkLlmException(
        "finetune.method (--method) must be one of "
            + Arrays.stream(values()).map(FinetuneMethod::key).toList()
            + ", got '"
            + value
            + "'");
  }
}
