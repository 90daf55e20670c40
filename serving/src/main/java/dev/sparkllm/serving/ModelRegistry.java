package dev.sparkllm.serving;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models by the name a request gives in {@code model}: the base, and fine-tuned models (a LoRA run
 * is served from its merged weights) registered next to it under their own names. Each has its own
 * weights and scheduler, so memory grows by one model per entry; sharing the base's weights with a
 * per-sequence adapter in one batch is the step after.
 */
final class ModelRegistry implements AutoCloseable {
  private final Map<String, TextModel> models = new LinkedHashMap<>();
  private final String defaultName;

  ModelRegistry(TextModel base) {
    this.defaultName = base.name;
    models.put(base.name, base);
  }

  /** Adds {@code m} under its name; a name served already is refused. */
  void register(TextModel m) {
    if (models.putIfAbsent(m.name, m) != null) {
      m.close();
      throw new dev.sparkllm.core.SparkLlmException(
          "two models named '" + m.name + "'; give each --adapter its own NAME=DIR");
    }
  }

  /** The named model; null or absent name = the base model; an unknown name is a 404. */
  TextModel resolve(String name) {
    if (name == null) {
      return models.get(defaultName);
    }
    TextModel m = models.get(name);
    if (m == null) {
      throw new ApiError(
          404,
          "invalid_request_error",
          "model",
          "model_not_found",
          "The model '" + name + "' does not exist; GET /v1/models lists the served ones");
    }
    return m;
  }

  List<TextModel> all() {
    return new ArrayList<>(models.values());
  }

  @Override
  public void close() {
    models.values().forEach(TextModel::close);
  }
}
