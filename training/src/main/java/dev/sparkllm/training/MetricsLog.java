package dev.sparkllm.training;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code RUN/metrics.jsonl}: one JSON line per logged step. Kept in memory and rewritten whole
 * (atomically) at each checkpoint, because object stores cannot append; a resumed run reloads the
 * lines up to its checkpoint's step, so the file never holds steps the run is about to repeat.
 */
final class MetricsLog {
  private final String path;
  private final List<String> lines = new ArrayList<>();

  MetricsLog(String run) {
    this.path = Storage.join(run, "metrics.jsonl");
  }

  /**
   * Adds the line of {@code step}; {@code extra} (the exchange's communication figures) goes last.
   * Returns the line.
   */
  String record(
      long step,
      Trainer.StepResult r,
      Double val,
      double tokensPerSecond,
      Map<String, Object> extra) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("train_loss", r.loss());
    m.put("val_loss", val);
    if (val != null) {
      m.put("overfit_gap", val - r.loss());
    }
    m.put("lr", r.lr());
    m.put("grad_norm", r.gradNorm());
    m.put("tokens_per_s", tokensPerSecond);
    if (r.skipped()) {
      m.put("skipped", true);
    }
    m.putAll(extra);
    String line;
    try {
      line = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    lines.add(line);
    return line;
  }

  void write() {
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l).append('\n'));
    Storage.writeString(path, sb.toString());
  }

  /** Reloads the lines of steps up to {@code upTo} (a resumed run's checkpoint). */
  void load(long upTo) {
    if (!Storage.exists(path)) {
      return;
    }
    for (String line : Storage.readString(path).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        if (Json.MAPPER.readTree(line).path("step").asLong() <= upTo) {
          lines.add(line);
        }
      } catch (IOException e) {
        // A torn last line from a crash: the checkpoint is the source of truth.
      }
    }
  }
}
