package dev.sparkllm.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How a {@link Config} is assembled: the shipped defaults, then a user file, then {@code --set}
 * overrides, each checked against the defaults (unknown keys and wrong types are errors naming the
 * key and where it came from).
 */
final class ConfigMerge {
  private ConfigMerge() {}

  /**
   * Defaults, then the user file (may be null), then {@code key=value} overrides, each validated
   * against the defaults.
   */
  static ObjectNode load(String userFile, List<String> overrides) {
    ObjectNode defaults = loadDefaults();
    ObjectNode merged = defaults.deepCopy();
    if (userFile != null) {
      JsonNode user;
      try {
        user = Config.YAML.readTree(Storage.readString(userFile));
      } catch (JsonProcessingException e) {
        throw new SparkLlmException(
            "config file "
                + userFile
                + " is not valid YAML: "
                + e.getOriginalMessage()
                + " (line "
                + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
                + ")");
      }
      if (user != null && !user.isNull() && !user.isMissingNode()) {
        if (!user.isObject()) {
          throw new SparkLlmException(
              "config file " + userFile + " must be a YAML mapping of sections (e.g. preprocess:)");
        }
        mergeInto(merged, (ObjectNode) user, defaults, "", userFile);
      }
    }
    for (String override : overrides == null ? List.<String>of() : overrides) {
      applyOverride(merged, defaults, override);
    }
    return merged;
  }

  static ObjectNode loadDefaults() {
    try (InputStream in =
        ConfigMerge.class.getClassLoader().getResourceAsStream(Config.DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new SparkLlmException(
            "defaults "
                + Config.DEFAULTS_RESOURCE
                + " missing from the classpath; rebuild the project");
      }
      return (ObjectNode) Config.YAML.readTree(in);
    } catch (IOException e) {
      throw new SparkLlmException("cannot read built-in defaults: " + e.getMessage(), e);
    }
  }

  private static void mergeInto(
      ObjectNode target, ObjectNode user, JsonNode defaults, String path, String origin) {
    Iterator<Map.Entry<String, JsonNode>> it = user.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      JsonNode def = defaults == null ? null : defaults.get(e.getKey());
      boolean freeForm = defaults != null && defaults.isObject() && defaults.isEmpty();
      if (def == null && !freeForm) {
        throw new SparkLlmException(
            "unknown config key '"
                + key
                + "' in "
                + origin
                + "; valid keys here: "
                + validKeys(defaults));
      }
      JsonNode value = e.getValue();
      if (def != null && def.isObject() && !def.isEmpty()) {
        if (!value.isObject()) {
          throw new SparkLlmException(
              "config key '"
                  + key
                  + "' in "
                  + origin
                  + " must be a mapping, not "
                  + describe(value));
        }
        ObjectNode sub = (ObjectNode) target.get(e.getKey());
        mergeInto(sub, (ObjectNode) value, def, key, origin);
      } else {
        if (def != null) {
          checkType(key, def, value, origin);
        }
        JsonNode existing = target.get(e.getKey());
        if (value.isObject()
            && existing != null
            && existing.isObject()
            && (def == null || def.isObject())) {
          // Free-form maps (spark.conf) merge: each --set spark.conf.x=... adds one entry instead
          // of replacing the entries set before it.
          deepMerge((ObjectNode) existing, (ObjectNode) value);
        } else {
          target.set(e.getKey(), coerce(def, value));
        }
      }
    }
  }

  private static void deepMerge(ObjectNode target, ObjectNode value) {
    value
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode existing = target.get(e.getKey());
              if (existing != null && existing.isObject() && e.getValue().isObject()) {
                deepMerge((ObjectNode) existing, (ObjectNode) e.getValue());
              } else {
                target.set(e.getKey(), e.getValue());
              }
            });
  }

  private static String validKeys(JsonNode defaults) {
    if (defaults == null || !defaults.isObject()) {
      return "(none)";
    }
    List<String> keys = new ArrayList<>();
    defaults.fieldNames().forEachRemaining(keys::add);
    return String.join(", ", keys);
  }

  private static void applyOverride(ObjectNode merged, ObjectNode defaults, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new SparkLlmException(
          "--set '" + override + "' must look like section.key=value (e.g. preprocess.seed=7)");
    }
    String key = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    JsonNode value;
    try {
      value = raw.isEmpty() ? TextNode.valueOf("") : Config.YAML.readTree(raw);
      if (value == null || value.isMissingNode()) {
        value = TextNode.valueOf(raw);
      }
    } catch (JsonProcessingException e) {
      value = TextNode.valueOf(raw);
    }
    // Build a nested user tree for the dotted key and reuse the file-merge validation.
    ObjectNode user = JsonNodeFactory.instance.objectNode();
    ObjectNode cursor = user;
    JsonNode def = defaults;
    String[] parts = key.split("\\.");
    int i = 0;
    // Inside a free-form map (spark.conf) the rest of the key is one entry: spark.conf.spark.a.b=1
    // sets "spark.a.b", as the YAML form {spark.a.b: 1} does.
    while (i < parts.length - 1 && !(def != null && def.isObject() && def.isEmpty())) {
      cursor = cursor.putObject(parts[i]);
      def = def == null ? null : def.get(parts[i]);
      i++;
    }
    if (def != null && def.isObject() && def.isEmpty() && i < parts.length - 1) {
      cursor.set(String.join(".", java.util.Arrays.copyOfRange(parts, i, parts.length)), value);
    } else {
      cursor.set(parts[parts.length - 1], value);
    }
    mergeInto(merged, user, defaults, "", "--set " + key);
  }

  private static void checkType(String key, JsonNode def, JsonNode value, String origin) {
    boolean ok;
    if (def.isNull()) {
      ok = value.isNull() || value.isValueNode();
    } else if (def.isBoolean()) {
      ok = value.isBoolean();
    } else if (def.isIntegralNumber()) {
      ok = value.isIntegralNumber();
    } else if (def.isNumber()) {
      ok = value.isNumber();
    } else if (def.isTextual()) {
      ok = value.isValueNode() && !value.isNull();
    } else if (def.isArray()) {
      ok = value.isArray();
      if (ok && def.size() > 0) {
        // Positional check so lists of pairs like [[2, 0.2]] keep their per-position types.
        for (int i = 0; i < value.size(); i++) {
          JsonNode itemDef = def.get(Math.min(i, def.size() - 1));
          checkType(key + "[" + i + "]", itemDef, value.get(i), origin);
        }
      }
    } else if (def.isObject()) {
      ok = value.isObject();
    } else {
      ok = true;
    }
    if (!ok) {
      throw new SparkLlmException(
          "config key '"
              + key
              + "' in "
              + origin
              + " must be "
              + describe(def)
              + ", got "
              + describe(value)
              + " ("
              + value
              + ")");
    }
  }

  private static JsonNode coerce(JsonNode def, JsonNode value) {
    if (def != null && def.isTextual() && value.isValueNode() && !value.isTextual()) {
      return TextNode.valueOf(value.asText());
    }
    return value;
  }

  private static String describe(JsonNode n) {
    if (n.isNull()) {
      return "a string or null";
    } else if (n.isBoolean()) {
      return "a boolean (true/false)";
    } else if (n.isIntegralNumber()) {
      return "an integer";
    } else if (n.isNumber()) {
      return "a number";
    } else if (n.isTextual()) {
      return "a string";
    } else if (n.isArray()) {
      return "a list";
    } else if (n.isObject()) {
      return "a mapping";
    }
    return n.getNodeType().toString().toLowerCase();
  }
}
