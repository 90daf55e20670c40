package dev.sparkllm.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed reading of the JSON files that pass between stages (token manifest, checkpoint state,
 * preprocess stats): a missing or ill-typed field is one error naming the file, the field's dotted
 * path and what to do, e.g. {@code out/manifest.json lacks the integer field 'splits.train.tokens';
 * --data must be the output directory of the tokenize job}.
 *
 * <p>Field names are given as (parent path, key): {@code integer(split, "splits.train", "tokens")}.
 */
public final class JsonFields {
  private final String file;
  private final String hint;

  /**
   * @param file the path to name in errors
   * @param hint what the user should do, appended to every error
   */
  public JsonFields(String file, String hint) {
    this.file = file;
    this.hint = hint;
  }

  /** Parses {@code file} as a JSON object; a missing file or bad JSON is the same kind of error. */
  public JsonNode readObject() {
    if (!Storage.exists(file)) {
      throw new SparkLlmException(file + " is missing; " + hint);
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(Storage.readString(file));
    } catch (IOException e) {
      throw new SparkLlmException(file + " is not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new SparkLlmException(file + " is not a JSON object; " + hint);
    }
    return root;
  }

  public String file() {
    return file;
  }

  /** An error about the field {@code at.key}: "FILE lacks the KIND field 'NAME'; HINT". */
  public SparkLlmException lacks(String kind, String at, String key) {
    return new SparkLlmException(
        file + " lacks the " + kind + " field '" + name(at, key) + "'; " + hint);
  }

  /** An error about the field {@code at.key} in the caller's own words. */
  public SparkLlmException invalid(String at, String key, String problem) {
    return new SparkLlmException(file + ": field '" + name(at, key) + "' " + problem + "; " + hint);
  }

  public int integer(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw lacks("integer", at, key);
    }
    return v.intValue();
  }

  public long longValue(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw lacks("integer", at, key);
    }
    return v.longValue();
  }

  public double number(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isNumber()) {
      throw lacks("number", at, key);
    }
    return v.doubleValue();
  }

  /** A number, or null when the field holds null (it must be present). */
  public Double optionalNumber(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v != null && v.isNull()) {
      return null;
    }
    return number(n, at, key);
  }

  public boolean bool(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isBoolean()) {
      throw lacks("boolean", at, key);
    }
    return v.booleanValue();
  }

  public String text(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual()) {
      throw lacks("string", at, key);
    }
    return v.asText();
  }

  /** A string, or null when the field is absent or null. */
  public String optionalText(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw lacks("string (or null)", at, key);
    }
    return v.asText();
  }

  public List<String> texts(JsonNode n, String at, String key) {
    List<String> out = new ArrayList<>();
    for (JsonNode x : array(n, at, key)) {
      if (!x.isTextual()) {
        throw lacks("list of strings", at, key);
      }
      out.add(x.asText());
    }
    return out;
  }

  public JsonNode object(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isObject()) {
      throw lacks("object", at, key);
    }
    return v;
  }

  public JsonNode array(JsonNode n, String at, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isArray()) {
      throw lacks("list", at, key);
    }
    return v;
  }

  /** An object of integer counts ({@code {"reason": 3, ...}}), in the file's order. */
  public Map<String, Long> counts(JsonNode n, String at, String key) {
    JsonNode o = object(n, at, key);
    Map<String, Long> m = new LinkedHashMap<>();
    o.fieldNames().forEachRemaining(k -> m.put(k, longValue(o, name(at, key), k)));
    return m;
  }

  public static String name(String at, String key) {
    return at.isEmpty() ? key : at + "." + key;
  }
}
