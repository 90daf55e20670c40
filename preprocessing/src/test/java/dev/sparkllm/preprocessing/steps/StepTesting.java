package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import java.util.ArrayList;
import java.util.List;

/** Builds step config sections and runs a step on one text, for the step unit tests. */
public final class StepTesting {
  private StepTesting() {}

  /** Section {@code preprocess.<name>} with overrides given as {@code key=value} inside it. */
  public static Config section(String name, String... overrides) {
    List<String> full = new ArrayList<>();
    for (String o : overrides) {
      full.add("preprocess." + name + "." + o);
    }
    return Config.load(null, full).section("preprocess." + name);
  }

  /** The reason {@code step} gives for {@code text}: null when kept. */
  public static String reason(DocumentStep step, String text) {
    step.open();
    return step.apply(new Document("d1", "test", text));
  }

  /** The text after a step that must keep the document. */
  public static String keep(DocumentStep step, String text) {
    Document doc = new Document("d1", "test", text);
    step.open();
    String reason = step.apply(doc);
    if (reason != null) {
      throw new AssertionError("expected the document to be kept, got reason " + reason);
    }
    return doc.text;
  }
}
