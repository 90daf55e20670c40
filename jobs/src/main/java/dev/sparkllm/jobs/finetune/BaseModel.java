package dev.sparkllm.jobs.finetune;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model a fine-tune starts from: a run directory (its {@code checkpoints/latest}), one
 * checkpoint, or a Hugging Face GPT-2 directory ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}). Its shape and tokenizer decide the fine-tune's.
 *
 * @param dir the model directory
 * @param model its shape, from config.json
 * @param weights its model.safetensors, for {@code training.init_from}
 * @param tokenizerJson the tokenizer: {@code --tokenizer} when given, else the one the base carries
 */
public record BaseModel(String dir, GptConfig model, String weights, String tokenizerJson) {

  public static BaseModel resolve(String base, String tokenizerOverride) {
    String dir = base;
    if (!Storage.exists(Storage.join(base, Checkpoints.MODEL))) {
      dir = Checkpoints.latest(base);
      if (dir == null) {
        throw new SparkLlmException(
            "--base "
                + base
                + " holds neither model.safetensors nor checkpoints/latest; pass a run directory,"
                + " a checkpoint or a Hugging Face GPT-2 directory");
      }
    }
    Checkpoints.ModelFiles files = Checkpoints.readModel(dir);
    GptConfig model;
    try {
      Map<String, Object> hf =
          Json.MAPPER.readValue(files.config(), new TypeReference<Map<String, Object>>() {});
      model = GptConfig.fromHfConfig(hf);
    } catch (IOException | RuntimeException e) {
      if (e instanceof SparkLlmException s) {
        throw s;
      }
      throw new SparkLlmException(
          Storage.join(dir, Checkpoints.HF_CONFIG)
              + " is not a GPT-2 config.json ("
              + e.getMessage()
              + "); pass another --base");
    }
    String tokenizer;
    if (tokenizerOverride != null) {
      tokenizer = Storage.readString(TokenEncoder.resolve(tokenizerOverride));
    } else {
      byte[] carried = Checkpoints.readAsset(dir, Checkpoints.TOKENIZER);
      if (carried == null) {
        throw new SparkLlmException(
            "--base "
                + dir
                + " carries no tokenizer.json (a checkpoint from before checkpoints carried"
                + " their tokenizer); pass --tokenizer with the one it was trained with");
      }
      tokenizer = new String(carried, StandardCharsets.UTF_8);
    }
    return new BaseModel(dir, model, Storage.join(dir, Checkpoints.MODEL), tokenizer);
  }

  /**
   * {@code --set} overrides that make the fine-tune's model the base's shape, start from its
   * weights and tokenize rows padded to its context; earlier in the list than the user's own, so
   * those still win.
   */
  public List<String> overrides(String eosToken, String padToken) {
    List<String> o = new ArrayList<>();
    o.add("model.vocab_size=" + model.vocabSize());
    o.add("model.context_length=" + model.contextLength());
    o.add("model.n_layer=" + model.nLayer());
    o.add("model.n_head=" + model.nHead());
    o.add("model.n_embd=" + model.nEmbd());
    o.add("model.dropout=" + model.dropout());
    o.add("model.layer_norm_eps=" + model.layerNormEps());
    o.add("model.init_std=" + model.initStd());
    o.add("training.init_from=" + weights);
    o.add("tokenize.mode=padded");
    o.add("tokenize.seq_len=" + model.contextLength());
    o.add("tokenize.splits=[train, validation]");
    try (TokenEncoder enc = TokenEncoder.fromJson(tokenizerJson)) {
      // GPT-2's own tokenizer has no padding token; padding positions are masked out of the loss,
      // so end-of-text serves (as transformers users set pad_token = eos_token).
      if (enc.specialId(padToken) < 0 && enc.specialId(eosToken) >= 0) {
        o.add("tokenize.pad_token=" + eosToken);
      }
    }
    return o;
  }
}
