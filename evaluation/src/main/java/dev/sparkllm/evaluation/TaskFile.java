package dev.sparkllm.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task file in JSONL. Generation lines: {@code {"prompt": ..., "reference": "..."}} or {@code
 * "references": [...]}. Classification / multiple-choice lines: {@code {"prompt": ..., "choices":
 * [...], "answer": index | choice text}}. The first valid line decides the file's kind; lines that
 * do not parse, lack fields or are of the other kind are counted as malformed with their line
 * number and reason, never dropped silently.
 */
public final class TaskFile {
  public static final String GENERATION = "generation";
  public static final String CLASSIFICATION = "classification";

  /** How many malformed lines are listed individually in the report (all are counted). */
  static final int MAX_LISTED = 20;

  /** One example; {@code choices}/{@code answer} for classification, {@code references} else. */
  public record Item(
      String task,
      int line,
      String kind,
      String prompt,
      List<String> choices,
      int answer,
      List<String> references,
      String variant)
      implements Serializable {
    public static final String CLEAN = "clean";

    /** This example with another prompt, scored as {@code variant} (a perturbation). */
    public Item perturbed(String variant, String newPrompt) {
      return new Item(task, line, kind, newPrompt, choices, answer, references, variant);
    }
  }

  public record Parsed(
      String path,
      String name,
      String kind,
      List<Item> items,
      int malformed,
      Map<Integer, String> malformedLines,
      boolean empty) {}

  private TaskFile() {}

  public static Parsed read(String path) {
    if (!Storage.exists(path)) {
      throw new SparkLlmException("task file " + path + " does not exist; check --tasks");
    }
    String name = path.substring(path.lastIndexOf('/') + 1).replaceFirst("\\.jsonl?$", "");
    String[] lines = Storage.readString(path).split("\r?\n", -1);
    List<Item> items = new ArrayList<>();
    Map<Integer, String> bad = new LinkedHashMap<>();
    int malformed = 0;
    int nonBlank = 0;
    String kind = null;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      nonBlank++;
      int lineNo = i + 1;
      String reason;
      Item item = null;
      try {
        item = parseLine(name, lineNo, Json.MAPPER.readTree(lines[i]));
        reason = null;
      } catch (BadLine e) {
        reason = e.getMessage();
      } catch (Exception e) {
        reason = "not valid JSON";
      }
      if (item != null && kind != null && !kind.equals(item.kind())) {
        reason = "a " + item.kind() + " line in a " + kind + " task file";
        item = null;
      }
      if (item == null) {
        malformed++;
        if (bad.size() < MAX_LISTED) {
          bad.put(lineNo, reason);
        }
        continue;
      }
      kind = item.kind();
      items.add(item);
    }
    return new Parsed(path, name, kind, items, malformed, bad, nonBlank == 0);
  }

  private static final class BadLine extends Exception {
    BadLine(String m) {
      super(m);
    }
  }

  static Item parseLine(String task, int line, JsonNode n) throws BadLine {
    if (!n.isObject()) {
      throw new BadLine("not a JSON object");
    }
    JsonNode prompt = n.get("prompt");
    if (prompt == null || !prompt.isTextual() || prompt.asText().isEmpty()) {
      throw new BadLine("'prompt' missing or not a non-empty string");
    }
    if (n.has("choices")) {
      List<String> choices = strings(n.get("choices"), "choices");
      JsonNode a = n.get("answer");
      int answer;
      if (a != null && a.isIntegralNumber()) {
        answer = a.intValue();
      } else if (a != null && a.isTextual()) {
        answer = choices.indexOf(a.asText());
      } else {
        throw new BadLine("'answer' missing (an index into choices or one of the choices)");
      }
      if (answer < 0 || answer >= choices.size()) {
        throw new BadLine("'answer' " + a + " is not one of the " + choices.size() + " choices");
      }
      return new Item(
          task, line, CLASSIFICATION, prompt.asText(), choices, answer, List.of(), Item.CLEAN);
    }
    List<String> refs;
    if (n.has("references")) {
      refs = strings(n.get("references"), "references");
    } else if (n.has("reference") && n.get("reference").isTextual()) {
      refs = List.of(n.get("reference").asText());
    } else {
      throw new BadLine("needs 'reference'/'references' (generation) or 'choices' + 'answer'");
    }
    return new Item(task, line, GENERATION, prompt.asText(), List.of(), -1, refs, Item.CLEAN);
  }

  private static List<String> strings(JsonNode n, String field) throws BadLine {
    if (n == null || !n.isArray() || n.isEmpty()) {
      throw new BadLine("'" + field + "' must be a non-empty array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new BadLine("'" + field + "' must be a non-empty array of strings");
      }
      out.add(e.asText());
    }
    return out;
  }
}
