package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.core.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Step name (as in config) to constructor. */
final class StepNames {
  static final Map<String, Function<Config, DocumentStep>> ALL = new LinkedHashMap<>();

  private StepNames() {}
}
