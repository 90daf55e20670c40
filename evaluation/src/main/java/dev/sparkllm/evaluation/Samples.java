package dev.sparkllm.evaluation;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.evaluation.EvaluateJob.Output;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The clean task outputs for people to read and rate: {@code samples.jsonl} and {@code samples.csv}
 * (with empty rating/comment columns), ordered by task and line.
 */
final class Samples {
  private Samples() {}

  static final List<String> CSV_COLUMNS =
      List.of("task", "line", "kind", "prompt", "output", "reference", "rating", "comment");

  static List<Map<String, Object>> of(List<Output> outputs) {
    List<Output> sorted = new ArrayList<>();
    for (Output o : outputs) {
      if (o.variant().equals(TaskFile.Item.CLEAN)) {
        sorted.add(o);
      }
    }
    sorted.sort(
        (a, b) ->
            a.task().equals(b.task())
                ? Integer.compare(a.line(), b.line())
                : a.task().compareTo(b.task()));
    List<Map<String, Object>> out = new ArrayList<>();
    for (Output o : sorted) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("task", o.task());
      s.put("line", o.line());
      s.put("kind", o.kind());
      s.put("prompt", o.prompt());
      s.put("output", o.output());
      s.put("reference", String.join(" || ", o.references()));
      s.put(
          "correct", o.kind().equals(TaskFile.CLASSIFICATION) ? o.predicted() == o.answer() : null);
      s.put("rating", "");
      s.put("comment", "");
      out.add(s);
    }
    return out;
  }

  static void write(String output, List<Map<String, Object>> samples) {
    StringBuilder jsonl = new StringBuilder();
    StringBuilder csv = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
    for (Map<String, Object> s : samples) {
      try {
        jsonl
            .append(
                Json.MAPPER
                    .writer()
                    .without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(s))
            .append('\n');
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      List<String> cells = new ArrayList<>();
      for (String c : CSV_COLUMNS) {
        cells.add(csvCell(String.valueOf(s.get(c))));
      }
      csv.append(String.join(",", cells)).append("\r\n");
    }
    Storage.writeString(Storage.join(output, "samples.jsonl"), jsonl.toString());
    Storage.writeString(Storage.join(output, "samples.csv"), csv.toString());
  }

  /** RFC 4180 quoting; a leading =,+,-,@ is prefixed with ' so spreadsheets show, not run, it. */
  static String csvCell(String v) {
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
      return "\"" + v.replace("\"", "\"\"") + "\"";
    }
    return v;
  }
}
