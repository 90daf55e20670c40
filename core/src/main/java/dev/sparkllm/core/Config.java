package dev.sparkllm.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One YAML tree drives every stage. The documented defaults ({@code conf/defaults.yaml}, shipped in
 * the jar) define which keys exist and their types; a user file and {@code --set a.b=v} overrides
 * may only change values of existing keys, with the same type. A default of {@code null} accepts a
 * string or null. Keys under a map whose default is an empty map ({@code {}}) are free-form.
 *
 * <p>Instances are immutable views (a root or a section) and serializable, so steps can carry their
 * section to executors.
 */
public final class Config implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String DEFAULTS_RESOURCE = "spark-llm/defaults.yaml";
  static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  static final String MASK = Secrets.MASK;

  private final ObjectNode root;
  private final String prefix;

  private Config(ObjectNode root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  /** The shipped defaults alone. */
  public static Config defaults() {
    return new Config(ConfigMerge.loadDefaults(), "");
  }

  /**
   * Defaults, then the user file (may be null), then {@code key=value} overrides, each validated
   * against the defaults.
   */
  public static Config load(String userFile, List<String> overrides) {
    return new Config(ConfigMerge.load(userFile, overrides), "");
  }

  public static Config fromYaml(String yaml) {
    try {
      JsonNode node = YAML.readTree(yaml);
      return new Config((ObjectNode) node, "");
    } catch (JsonProcessingException e) {
      throw new SparkLlmException("invalid YAML: " + e.getOriginalMessage());
    }
  }

  // ---- reading values -------------------------------------------------------------------------

  /** A view of a section, e.g. {@code config.section("preprocess.gopher_quality")}. */
  public Config section(String path) {
    JsonNode n = node(path);
    if (!n.isObject()) {
      throw new SparkLlmException("config key '" + full(path) + "' is not a section");
    }
    return new Config(root, full(path));
  }

  public boolean has(String path) {
    return find(path) != null;
  }

  public String getString(String path) {
    JsonNode n = node(path);
    return n.isNull() ? null : n.asText();
  }

  public int getInt(String path) {
    JsonNode n = node(path);
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new SparkLlmException("config key '" + full(path) + "' must be an integer, got " + n);
    }
    return n.intValue();
  }

  public long getLong(String path) {
    JsonNode n = node(path);
    if (!n.isIntegralNumber()) {
      throw new SparkLlmException("config key '" + full(path) + "' must be an integer, got " + n);
    }
    return n.longValue();
  }

  public double getDouble(String path) {
    JsonNode n = node(path);
    if (!n.isNumber()) {
      throw new SparkLlmException("config key '" + full(path) + "' must be a number, got " + n);
    }
    return n.doubleValue();
  }

  public boolean getBoolean(String path) {
    JsonNode n = node(path);
    if (!n.isBoolean()) {
      throw new SparkLlmException(
          "config key '" + full(path) + "' must be true or false, got " + n);
    }
    return n.booleanValue();
  }

  public List<String> getStringList(String path) {
    JsonNode n = node(path);
    if (!n.isArray()) {
      throw new SparkLlmException("config key '" + full(path) + "' must be a list, got " + n);
    }
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }

  /** The keys directly under this view (or under {@code path} when given). */
  public List<String> keys(String path) {
    JsonNode n = path == null || path.isEmpty() ? node("") : node(path);
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /** The raw tree of this view, for typed binding with Jackson. */
  public JsonNode tree() {
    return prefix.isEmpty() ? root : find("");
  }

  private String full(String path) {
    if (prefix.isEmpty()) {
      return path;
    }
    return path.isEmpty() ? prefix : prefix + "." + path;
  }

  private JsonNode find(String path) {
    String p = full(path);
    JsonNode n = root;
    if (p.isEmpty()) {
      return n;
    }
    for (String part : p.split("\\.")) {
      n = n.get(part);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  private JsonNode node(String path) {
    JsonNode n = find(path);
    if (n == null) {
      throw new SparkLlmException(
          "config key '" + full(path) + "' is missing (not in conf/defaults.yaml)");
    }
    return n;
  }

  // ---- writing --------------------------------------------------------------------------------

  /**
   * The resolved config as YAML with every secret-looking value replaced by a mask (rules in {@link
   * Secrets}).
   */
  public String toMaskedYaml() {
    ObjectNode copy = root.deepCopy();
    Secrets.mask(copy);
    try {
      return YAML.writeValueAsString(copy);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * SHA-256 of the masked config ({@link #toMaskedYaml()}), to tell whether an output matches a
   * config. Not of the unmasked YAML: that hash, written beside the masked copy, would let anyone
   * confirm a guessed secret offline by hashing the config with the guess. The price is that a
   * changed secret alone keeps the hash, so a finished stage or checkpoint is still taken as
   * matching: right for credentials, which change access, not outputs. The hash stays the same
   * across runs of one config, as resume and rerun checks need.
   */
  public String hash() {
    return Hashing.sha256Hex(toMaskedYaml());
  }

  @Override
  public String toString() {
    return toMaskedYaml();
  }
}
