package dev.sparkllm.preprocessing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.JsonFields;
import dev.sparkllm.core.Storage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code OUT/stats.json} of the preprocess job: what went in, what each step did, what came out.
 * Owns the file's layout (key names and order) for writing and reading it back.
 *
 * @param steps the read step, every per-document step, then the whole-dataset stages, in order
 * @param piiRedactions redactions per PII type
 * @param languages kept documents per detected language
 * @param split kept documents per split
 */
public record PreprocessStats(
    Input input,
    List<Step> steps,
    Map<String, Long> piiRedactions,
    Map<String, Long> languages,
    Map<String, Long> split,
    Output output,
    boolean reconciled,
    double seconds,
    String configHash) {

  public static final String FILE = "stats.json";

  public PreprocessStats {
    steps = List.copyOf(steps);
    piiRedactions = ordered(piiRedactions);
    languages = ordered(languages);
    split = ordered(split);
  }

  /** Input files, their bytes, and the documents read from them. */
  public record Input(long files, long bytes, long documents) {}

  /** Documents written to docs/ and rejected/. */
  public record Output(long kept, long rejected) {}

  /**
   * One step's counts; {@code in = out + rejected}, and one step's out is the next one's in.
   *
   * @param changed documents the step rewrote; null for the read step and whole-dataset stages
   * @param seconds CPU seconds the step spent, summed over tasks; null where not timed
   * @param details a whole-dataset stage's own counters; null for per-document steps
   */
  public record Step(
      String name,
      long in,
      long out,
      long rejected,
      Map<String, Long> rejectedByReason,
      Long changed,
      Double seconds,
      Map<String, Object> details) {
    public Step {
      rejectedByReason = ordered(rejectedByReason);
      details = details == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** A step that took {@code in} documents and rejected some of them, by reason. */
    public static Step of(
        String name,
        long in,
        Map<String, Long> rejectedByReason,
        Long changed,
        Double seconds,
        Map<String, Object> details) {
      long rejected = rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
      return new Step(
          name, in, in - rejected, rejected, rejectedByReason, changed, seconds, details);
    }
  }

  private static <V> Map<String, V> ordered(Map<String, V> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  // ---- write --------------------------------------------------------------------------------

  /** Writes {@code DIR/stats.json}. */
  public void write(String dir) {
    Json.writeFile(Storage.join(dir, FILE), toJson());
  }

  /** The stats as JSON values, keys in file order. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("files", input.files());
    in.put("bytes", input.bytes());
    in.put("documents", input.documents());
    m.put("input", in);
    List<Map<String, Object>> s = new ArrayList<>();
    steps.forEach(step -> s.add(stepJson(step)));
    m.put("steps", s);
    m.put("pii_redactions", piiRedactions);
    m.put("languages", languages);
    m.put("split", split);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kept", output.kept());
    out.put("rejected", output.rejected());
    m.put("output", out);
    m.put("reconciled", reconciled);
    m.put("seconds", seconds);
    m.put("config_hash", configHash);
    return m;
  }

  private static Map<String, Object> stepJson(Step step) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("name", step.name());
    s.put("in", step.in());
    s.put("out", step.out());
    s.put("rejected", step.rejected());
    s.put("rejected_by_reason", step.rejectedByReason());
    if (step.changed() != null) {
      s.put("changed", step.changed());
    }
    if (step.seconds() != null) {
      s.put("seconds", step.seconds());
    }
    if (step.details() != null) {
      s.put("details", step.details());
    }
    return s;
  }

  // ---- read ---------------------------------------------------------------------------------

  /** Reads {@code DIR/stats.json} of a preprocess output. */
  public static PreprocessStats read(String dir) {
    JsonFields f =
        new JsonFields(
            Storage.join(dir, FILE),
            "pass the output directory of the preprocess job (or rerun it)");
    JsonNode n = f.readObject();
    JsonNode in = f.object(n, "", "input");
    JsonNode out = f.object(n, "", "output");
    List<Step> steps = new ArrayList<>();
    JsonNode all = f.array(n, "", "steps");
    for (int i = 0; i < all.size(); i++) {
      JsonNode s = all.get(i);
      String at = "steps[" + i + "]";
      steps.add(
          new Step(
              f.text(s, at, "name"),
              f.longValue(s, at, "in"),
              f.longValue(s, at, "out"),
              f.longValue(s, at, "rejected"),
              f.counts(s, at, "rejected_by_reason"),
              s.has("changed") ? f.longValue(s, at, "changed") : null,
              s.has("seconds") ? f.number(s, at, "seconds") : null,
              s.has("details")
                  ? Json.MAPPER.convertValue(f.object(s, at, "details"), new TypeReference<>() {})
                  : null));
    }
    return new PreprocessStats(
        new Input(
            f.longValue(in, "input", "files"),
            f.longValue(in, "input", "bytes"),
            f.longValue(in, "input", "documents")),
        steps,
        f.counts(n, "", "pii_redactions"),
        f.counts(n, "", "languages"),
        f.counts(n, "", "split"),
        new Output(f.longValue(out, "output", "kept"), f.longValue(out, "output", "rejected")),
        f.bool(n, "", "reconciled"),
        f.number(n, "", "seconds"),
        f.optionalText(n, "", "config_hash"));
  }
}
