package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Builds the enabled per-document steps, in the order `preprocess.steps` lists them. */
public final class StepRegistry {
  private static final Map<String, Function<Config, DocumentStep>> FACTORIES =
      new LinkedHashMap<>();

  static {
    register(StepNames.ALL);
  }

  private StepRegistry() {}

  private static void register(Map<String, Function<Config, DocumentStep>> factories) {
    FACTORIES.putAll(factories);
  }

  public static List<DocumentStep> fromConfig(Config preprocess) {
    List<DocumentStep> steps = new ArrayList<>();
    List<String> order = preprocess.getStringList("steps");
    for (String name : order) {
      Function<Config, DocumentStep> factory = FACTORIES.get(name);
      if (factory == null) {
        throw new SparkLlmException(
            "unknown step '"
                + name
                + "' in config key 'preprocess.steps'; known steps: "
                + String.join(", ", FACTORIES.keySet()));
      }
      if (!preprocess.has(name)) {
        throw new SparkLlmException("config section 'preprocess." + name + "' is missing");
      }
      Config section = preprocess.section(name);
      if (section.getBoolean("enabled")) {
        steps.add(factory.apply(section));
      }
    }
    if (order.stream().distinct().count() != order.size()) {
      throw new SparkLlmException("config key 'preprocess.steps' lists a step twice: " + order);
    }
    return steps;
  }
}
