package dev.sparkllm.training.testing;

import dev.sparkllm.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tokenizers for tests that need readable text from tiny models without training a BPE. */
public final class CharTokenizer {
  private CharTokenizer() {}

  /**
   * A character-level BPE tokenizer.json (no merges): ids 0 and 1 are {@code <|endoftext|>} and
   * {@code <|pad|>}, then one token per character of {@code chars}.
   */
  public static String json(String chars) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<|endoftext|>", 0);
    vocab.put("<|pad|>", 1);
    for (int i = 0; i < chars.length(); i++) {
      vocab.put(String.valueOf(chars.charAt(i)), i + 2);
    }
    List<Map<String, Object>> added = new ArrayList<>();
    for (String s : List.of("<|endoftext|>", "<|pad|>")) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("id", vocab.get(s));
      a.put("content", s);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
      added.add(a);
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", "<|pad|>");
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("version", "1.0");
    t.put("truncation", null);
    t.put("padding", null);
    t.put("added_tokens", added);
    t.put("normalizer", null);
    t.put("pre_tokenizer", null);
    t.put("post_processor", null);
    t.put("decoder", Map.of("type", "Fuse"));
    t.put("model", model);
    return Json.write(t);
  }
}
