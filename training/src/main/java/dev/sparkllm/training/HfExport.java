package dev.sparkllm.training;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/spark-llm export}: a checkpoint as the Hugging Face GPT-2 model directory that
 * transformers, tokenizers, vLLM, TGI and lm-eval-harness load: {@code config.json} with the real
 * special-token ids (without them a model inherits GPT-2's 50256 and never stops), {@code
 * generation_config.json}, {@code model.safetensors} ({@code __metadata__ {"format": "pt"}}),
 * {@code tokenizer.json}, {@code tokenizer_config.json} (with {@code chat_template} after chat
 * fine-tuning) and {@code special_tokens_map.json}.
 */
public final class HfExport {
  private HfExport() {}

  /**
   * The special tokens of the export: bos = eos (GPT-2's convention), pad when the tokenizer has
   * one.
   */
  public record Specials(String eos, int eosId, String pad, int padId) {}

  /**
   * Writes the directory; {@code tokenizerJson} overrides the checkpoint's own (for checkpoints
   * made before they carried one).
   */
  public static Specials write(
      String checkpoint,
      String tokenizerJson,
      String eosToken,
      String padToken,
      String output,
      boolean overwrite) {
    Checkpoints.ModelFiles model = Checkpoints.readModel(checkpoint);
    String tokenizer = tokenizerJson;
    if (tokenizer == null) {
      byte[] carried = Checkpoints.readAsset(checkpoint, Checkpoints.TOKENIZER);
      if (carried == null) {
        throw new SparkLlmException(
            checkpoint
                + " carries no tokenizer.json (a checkpoint from before checkpoints carried their"
                + " tokenizer); pass --tokenizer");
      }
      tokenizer = new String(carried, StandardCharsets.UTF_8);
    }
    byte[] template = Checkpoints.readAsset(checkpoint, Checkpoints.CHAT_TEMPLATE);
    Map<String, Integer> ids = specialIds(tokenizer);
    Integer eosId = ids.get(eosToken);
    if (eosId == null) {
      throw new SparkLlmException(
          "the tokenizer has no special token '"
              + eosToken
              + "' (tokenize.eos_token); its specials are "
              + ids.keySet()
              + "; set tokenize.eos_token");
    }
    Integer padId = ids.get(padToken);
    String pad = padId != null ? padToken : eosToken;
    Specials sp = new Specials(eosToken, eosId, pad, padId != null ? padId : eosId);
    Map<String, Object> config = readMap(model.config(), checkpoint);
    config.put("bos_token_id", sp.eosId());
    config.put("eos_token_id", sp.eosId());
    config.put("pad_token_id", sp.padId());
    Map<String, Object> generation = new LinkedHashMap<>();
    generation.put("bos_token_id", sp.eosId());
    generation.put("eos_token_id", sp.eosId());
    generation.put("pad_token_id", sp.padId());
    Map<String, Object> specialMap = new LinkedHashMap<>();
    specialMap.put("bos_token", sp.eos());
    specialMap.put("eos_token", sp.eos());
    specialMap.put("unk_token", sp.eos());
    specialMap.put("pad_token", sp.pad());
    Map<String, Object> tokConfig = new LinkedHashMap<>();
    // The generic fast tokenizer loads any tokenizer.json (byte-level BPE, char or word models).
    tokConfig.put("tokenizer_class", "PreTrainedTokenizerFast");
    tokConfig.putAll(specialMap);
    tokConfig.put("model_max_length", config.get("n_positions"));
    tokConfig.put("add_bos_token", false);
    tokConfig.put("add_eos_token", false);
    tokConfig.put("clean_up_tokenization_spaces", false);
    tokConfig.put("added_tokens_decoder", addedTokens(tokenizer));
    if (template != null) {
      tokConfig.put("chat_template", new String(template, StandardCharsets.UTF_8));
    }
    try (OutputDir out = OutputDir.open("export", output, overwrite, List.of(checkpoint))) {
      String dir = out.path();
      Storage.writeString(Storage.join(dir, "config.json"), Json.write(config));
      Storage.writeString(Storage.join(dir, "generation_config.json"), Json.write(generation));
      Storage.writeAtomically(Storage.join(dir, Checkpoints.MODEL), model.model());
      Storage.writeString(Storage.join(dir, Checkpoints.TOKENIZER), tokenizer);
      Storage.writeString(Storage.join(dir, "tokenizer_config.json"), Json.write(tokConfig));
      Storage.writeString(Storage.join(dir, "special_tokens_map.json"), Json.write(specialMap));
      if (template != null) {
        Storage.writeAtomically(Storage.join(dir, Checkpoints.CHAT_TEMPLATE), template);
      }
      out.commit();
    }
    return sp;
  }

  static Map<String, Integer> specialIds(String tokenizerJson) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (JsonNode t : tree(tokenizerJson).path("added_tokens")) {
      if (t.path("special").asBoolean(true)) {
        out.put(t.path("content").asText(), t.path("id").asInt());
      }
    }
    return out;
  }

  /** transformers' {@code added_tokens_decoder}: id (as a string) → the token's flags. */
  static Map<String, Object> addedTokens(String tokenizerJson) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (JsonNode t : tree(tokenizerJson).path("added_tokens")) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String k :
          List.of("content", "lstrip", "normalized", "rstrip", "single_word", "special")) {
        if (t.has(k)) {
          m.put(k, Json.MAPPER.convertValue(t.get(k), Object.class));
        }
      }
      out.put(String.valueOf(t.path("id").asInt()), m);
    }
    return out;
  }

  private static JsonNode tree(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new SparkLlmException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static Map<String, Object> readMap(byte[] json, String checkpoint) {
    try {
      return Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (IOException e) {
      throw new SparkLlmException(checkpoint + "/config.json is not valid JSON: " + e.getMessage());
    }
  }
}
