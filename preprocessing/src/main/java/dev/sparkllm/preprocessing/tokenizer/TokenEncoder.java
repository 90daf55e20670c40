package dev.sparkllm.preprocessing.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encoding and decoding through DJL's binding of Hugging Face's Rust tokenizers, the one encoder
 * the project uses. Built without truncation (DJL's default cuts every text to 512 tokens) and
 * without post-processor special tokens, so ids are exactly the text's tokens.
 *
 * <p>Texts are {@link ByteLevel#sanitize sanitized} first: each unpaired surrogate becomes U+FFFD.
 * Not thread-safe to close while in use; one instance per task.
 */
public final class TokenEncoder implements AutoCloseable {
  static {
    if (System.getProperty("ai.djl.offline") == null) {
      // Nothing may be downloaded at runtime; the native library ships inside DJL's jar.
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Integer> specialIds;
  private final int vocabSize;

  private TokenEncoder(HuggingFaceTokenizer tokenizer, Map<String, Integer> specials, int vocab) {
    this.tokenizer = tokenizer;
    this.specialIds = specials;
    this.vocabSize = vocab;
  }

  /** Builds an encoder from the content of a {@code tokenizer.json}. */
  public static TokenEncoder fromJson(String json) {
    Map<String, Integer> specials = new HashMap<>();
    int maxId = -1;
    try {
      JsonNode root = Json.MAPPER.readTree(json);
      for (JsonNode t : root.path("added_tokens")) {
        specials.put(t.path("content").asText(), t.path("id").asInt());
        maxId = Math.max(maxId, t.path("id").asInt());
      }
      for (JsonNode id : root.path("model").path("vocab")) {
        maxId = Math.max(maxId, id.asInt());
      }
    } catch (IOException e) {
      throw new SparkLlmException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
    }
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "false");
    options.put("truncation", "false");
    options.put("padding", "false");
    try {
      HuggingFaceTokenizer tok =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
      return new TokenEncoder(tok, Collections.unmodifiableMap(specials), maxId + 1);
    } catch (IOException | RuntimeException e) {
      throw new SparkLlmException(
          "cannot load tokenizer.json with DJL/HF tokenizers: " + e.getMessage(), e);
    }
  }

  /** Loads {@code path}: a tokenizer.json file, or a directory holding one (local or s3a://). */
  public static TokenEncoder load(String path) {
    return fromJson(Storage.readString(resolve(path)));
  }

  /** {@code path} itself if it names a file, else {@code path/tokenizer.json}. */
  public static String resolve(String path) {
    if (path.endsWith(".json")) {
      return path;
    }
    return Storage.join(path, "tokenizer.json");
  }

  public int[] encode(String text) {
    return toInts(tokenizer.encode(ByteLevel.sanitize(text), false, false).getIds());
  }

  /** Encodes many texts in one native call (HF's batch encoding). */
  public int[][] encodeBatch(List<String> texts) {
    String[] in = new String[texts.size()];
    for (int i = 0; i < in.length; i++) {
      in[i] = ByteLevel.sanitize(texts.get(i));
    }
    Encoding[] encodings = tokenizer.batchEncode(in, false, false);
    int[][] out = new int[encodings.length][];
    for (int i = 0; i < encodings.length; i++) {
      out[i] = toInts(encodings[i].getIds());
    }
    return out;
  }

  /** Decodes ids, special tokens included (so {@code decode(encode(x))} gives x back). */
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, false);
  }

  /** Id of a special (added) token, or -1. */
  public int specialId(String token) {
    return specialIds.getOrDefault(token, -1);
  }

  /** Id of a special token that must exist, with a message naming the config key otherwise. */
  public int requireSpecial(String token, String key) {
    int id = specialId(token);
    if (id < 0) {
      throw new SparkLlmException(
          "token '"
              + token
              + "' ("
              + key
              + ") is not a special token of this tokenizer; its specials are "
              + specialIds.keySet()
              + "; set "
              + key
              + " or retrain with tokenizer.special_tokens including it");
    }
    return id;
  }

  /** One more than the highest id in the vocabulary. */
  public int vocabSize() {
    return vocabSize;
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
