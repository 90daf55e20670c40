package dev.sparkllm.training.model;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.List;

/**
 * The {@code finetune.lora} section: low-rank adapters (Hu et al., 2021) on the linear layers named
 * by {@code targets}. A target matches a layer's qualified name ({@code attn.c_attn}, {@code
 * attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj}) exactly or as its last part, as PEFT's {@code
 * target_modules} does: {@code c_proj} adapts both projections.
 *
 * @param rank r, the adapters' inner width
 * @param alpha the update is scaled by alpha/r
 * @param dropout dropout on the adapters' input while training
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets)
    implements Serializable {
  /** The qualified names of the linear layers an adapter can sit on. */
  public static final List<String> LAYERS =
      List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj");

  public LoraConfig {
    if (rank <= 0) {
      throw new SparkLlmException("finetune.lora.rank must be > 0, got " + rank);
    }
    if (alpha <= 0) {
      throw new SparkLlmException("finetune.lora.alpha must be > 0, got " + alpha);
    }
    if (dropout < 0 || dropout >= 1) {
      throw new SparkLlmException("finetune.lora.dropout must be in [0, 1), got " + dropout);
    }
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new SparkLlmException(
          "finetune.lora.target_modules is empty; name at least one of " + LAYERS);
    }
    for (String t : targets) {
      if (LAYERS.stream().noneMatch(l -> matches(l, t))) {
        throw new SparkLlmException(
            "finetune.lora.target_modules names '"
                + t
                + "', which is none of the model's linear layers "
                + LAYERS
                + " (c_attn, c_proj and c_fc also match by their last part)");
      }
    }
  }

  public static LoraConfig fromConfig(Config lora) {
    return new LoraConfig(
        lora.getInt("rank"),
        lora.getDouble("alpha"),
        lora.getDouble("dropout"),
        lora.getStringList("target_modules"));
  }

  /** alpha / r. */
  public double scaling() {
    return alpha / rank;
  }

  /** True when the layer with qualified name {@code layer} (e.g. attn.c_proj) gets an adapter. */
  public boolean targets(String layer) {
    return targets.stream().anyMatch(t -> matches(layer, t));
  }

  private static boolean matches(String layer, String target) {
    return layer.equals(target) || layer.endsWith("." + target);
  }
}
