package dev.sparkllm.preprocessing.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.preprocessing.finetune.ChatTemplate.BadRow;
import dev.sparkllm.preprocessing.finetune.ChatTemplate.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one JSONL line into the fields of a training row, or throws {@link BadRow} with the reason
 * it is counted under. The messages name the field, never the row's text (which may be private).
 */
final class RowCheck {
  private RowCheck() {}

  static JsonNode parse(String line) {
    JsonNode n;
    try {
      n = Json.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new BadRow("malformed_json", "not valid JSON");
    }
    if (n == null || !n.isObject()) {
      throw new BadRow("not_an_object", "a line must be a JSON object");
    }
    return n;
  }

  /** {prompt, response}: from {@code messages} through the template, else the two fields. */
  static String[] instruction(JsonNode n, ChatTemplate template) {
    if (n.has("messages")) {
      ChatTemplate.Rendered r = template.render(messages(n.get("messages")));
      if (r.response().isBlank()) {
        throw new BadRow("empty_response", "the last assistant message is empty");
      }
      return new String[] {r.prompt(), r.response()};
    }
    String prompt = text(n, "prompt");
    String response = text(n, "response");
    if (response.isBlank()) {
      throw new BadRow("empty_response", "field 'response' is empty");
    }
    return new String[] {prompt, response};
  }

  /** {prompt, chosen, rejected}. */
  static String[] preference(JsonNode n) {
    String prompt = text(n, "prompt");
    String chosen = text(n, "chosen");
    String rejected = text(n, "rejected");
    if (chosen.isBlank() || rejected.isBlank()) {
      throw new BadRow(
          "empty_response", "field '" + (chosen.isBlank() ? "chosen" : "rejected") + "' is empty");
    }
    if (chosen.equals(rejected)) {
      throw new BadRow("identical_responses", "'chosen' equals 'rejected'; nothing to prefer");
    }
    return new String[] {prompt, chosen, rejected};
  }

  static List<Message> messages(JsonNode arr) {
    if (!arr.isArray()) {
      throw new BadRow("wrong_type", "field 'messages' must be an array of {role, content}");
    }
    List<Message> out = new ArrayList<>();
    for (JsonNode m : arr) {
      if (!m.isObject()) {
        throw new BadRow("wrong_type", "each of 'messages' must be an object {role, content}");
      }
      String role = text(m, "role");
      if (!ChatTemplate.ROLES.contains(role)) {
        throw new BadRow("bad_role", "message role must be system, user or assistant");
      }
      out.add(new Message(role, text(m, "content")));
    }
    return out;
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new BadRow("missing_field", "field '" + field + "' is missing");
    }
    if (!v.isTextual()) {
      throw new BadRow("wrong_type", "field '" + field + "' must be a string");
    }
    return v.asText();
  }

  /** The row's own split, or null to assign one; anything but a known split name is refused. */
  static String split(JsonNode n) {
    JsonNode v = n.get("split");
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || !List.of("train", "validation", "test").contains(v.asText())) {
      throw new BadRow("bad_split", "field 'split' must be train, validation or test");
    }
    return v.asText();
  }
}
