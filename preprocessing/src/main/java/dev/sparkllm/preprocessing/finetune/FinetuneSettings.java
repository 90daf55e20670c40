package dev.sparkllm.preprocessing.finetune;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;

/**
 * The data part of the {@code finetune:} config section, checked.
 *
 * @param validationFraction share of rows without a {@code split} field held out for validation
 * @param seed mixes into the hash that assigns those rows
 * @param eosToken appended after every assistant turn by the chat template
 */
public record FinetuneSettings(double validationFraction, long seed, String eosToken)
    implements Serializable {

  public FinetuneSettings {
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new SparkLlmException(
          "config key 'finetune.validation_fraction' must be in [0, 1), got " + validationFraction);
    }
  }

  /** Reads {@code finetune.*} and {@code tokenize.eos_token} from the whole config. */
  public static FinetuneSettings from(Config config) {
    return new FinetuneSettings(
        config.getDouble("finetune.validation_fraction"),
        config.getLong("finetune.seed"),
        config.getString("tokenize.eos_token"));
  }
}
