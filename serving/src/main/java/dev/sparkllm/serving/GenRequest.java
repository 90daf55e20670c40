package dev.sparkllm.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Json;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * A completion or chat request, validated: every malformed field is a 400 naming it, in the OpenAI
 * error shape. Defaults follow OpenAI's API (max_tokens 16, temperature 1, n 1); fields it has that
 * this server does not use (user, logprobs, ...) are accepted and ignored, as vLLM does.
 */
record GenRequest(
    String model,
    String prompt,
    int maxTokens,
    double temperature,
    double topP,
    int topK,
    long seed,
    List<String> stop,
    int n,
    boolean stream,
    boolean ignoreEos) {

  private static final SecureRandom SEEDS = new SecureRandom();

  static ObjectNode parseBody(byte[] body) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(body);
    } catch (Exception e) {
      throw ApiError.invalid(null, "the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!(node instanceof ObjectNode o)) {
      throw ApiError.invalid(null, "the body must be a JSON object");
    }
    return o;
  }

  /** {@code prompt}: the completion prompt, or the rendered chat for chat requests. */
  static GenRequest parse(ObjectNode b, String prompt, ServeSettings s) {
    String model = optString(b, "model");
    int maxTokens = optInt(b, "max_tokens", 16, 1, s.maxOutputTokens());
    double temperature = optDouble(b, "temperature", 1.0, 0, 2);
    double topP = optDouble(b, "top_p", 1.0, 0, 1);
    if (topP == 0) {
      throw ApiError.invalid("top_p", "top_p must be in (0, 1], got 0");
    }
    int topK = optInt(b, "top_k", 0, 0, Integer.MAX_VALUE);
    long seed;
    JsonNode sd = b.get("seed");
    if (sd == null || sd.isNull()) {
      seed = SEEDS.nextLong();
    } else if (sd.isIntegralNumber() && sd.canConvertToLong()) {
      seed = sd.longValue();
    } else {
      throw ApiError.invalid("seed", "seed must be an integer, got " + sd);
    }
    List<String> stop = new ArrayList<>();
    JsonNode st = b.get("stop");
    if (st != null && !st.isNull()) {
      if (st.isTextual()) {
        stop.add(st.asText());
      } else if (st.isArray() && st.size() <= 4) {
        for (JsonNode x : st) {
          if (!x.isTextual()) {
            throw ApiError.invalid("stop", "stop must be a string or a list of strings");
          }
          stop.add(x.asText());
        }
      } else {
        throw ApiError.invalid("stop", "stop must be a string or a list of at most 4 strings");
      }
      if (stop.stream().anyMatch(String::isEmpty)) {
        throw ApiError.invalid("stop", "stop sequences must not be empty");
      }
    }
    int n = optInt(b, "n", 1, 1, s.maxN());
    boolean stream = false;
    JsonNode sm = b.get("stream");
    if (sm != null && !sm.isNull()) {
      if (!sm.isBoolean()) {
        throw ApiError.invalid("stream", "stream must be true or false, got " + sm);
      }
      stream = sm.booleanValue();
    }
    boolean ignoreEos = false;
    JsonNode ie = b.get("ignore_eos");
    if (ie != null && !ie.isNull()) {
      if (!ie.isBoolean()) {
        throw ApiError.invalid("ignore_eos", "ignore_eos must be true or false, got " + ie);
      }
      ignoreEos = ie.booleanValue();
    }
    return new GenRequest(
        model, prompt, maxTokens, temperature, topP, topK, seed, stop, n, stream, ignoreEos);
  }

  static String optString(ObjectNode b, String field) {
    JsonNode v = b.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw ApiError.invalid(field, field + " must be a string, got " + v.getNodeType());
    }
    return v.asText();
  }

  static String requiredString(ObjectNode b, String field) {
    String s = optString(b, field);
    if (s == null) {
      throw ApiError.invalid(field, "missing required field '" + field + "'");
    }
    return s;
  }

  static int optInt(ObjectNode b, String field, int dflt, int min, int max) {
    JsonNode v = b.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiError.invalid(field, field + " must be an integer, got " + v);
    }
    int x = v.intValue();
    if (x < min || x > max) {
      throw ApiError.invalid(field, field + " must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  static double optDouble(ObjectNode b, String field, double dflt, double min, double max) {
    JsonNode v = b.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isNumber()) {
      throw ApiError.invalid(field, field + " must be a number, got " + v);
    }
    double x = v.doubleValue();
    if (!(x >= min && x <= max)) {
      throw ApiError.invalid(field, field + " must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  /** Chat messages rendered with the configured template, ending with the assistant prefix. */
  static String renderChat(ObjectNode b, ServeSettings s) {
    JsonNode msgs = b.get("messages");
    if (msgs == null || msgs.isNull()) {
      throw ApiError.invalid("messages", "missing required field 'messages'");
    }
    if (!msgs.isArray() || msgs.isEmpty()) {
      throw ApiError.invalid("messages", "messages must be a non-empty list");
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < msgs.size(); i++) {
      JsonNode m = msgs.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        throw ApiError.invalid(at, at + " must be an object with role and content");
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual()) {
        throw ApiError.invalid(at + ".role", at + ".role must be a string");
      }
      if (!List.of("system", "user", "assistant").contains(role.asText())) {
        throw ApiError.invalid(
            at + ".role", at + ".role must be system, user or assistant, got " + role.asText());
      }
      JsonNode content = m.get("content");
      if (content == null || !content.isTextual()) {
        throw ApiError.invalid(at + ".content", at + ".content must be a string");
      }
      out.append(
          s.chatMessageFormat()
              .replace("{role}", role.asText())
              .replace(
                  "{Role}",
                  Character.toUpperCase(role.asText().charAt(0)) + role.asText().substring(1))
              .replace("{content}", content.asText()));
    }
    return out.append(s.chatAssistantPrefix()).toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
