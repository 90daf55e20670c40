package dev.sparkllm.serving;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models by the name a request gives in {@code model}. Today one base model; a fine-tuned adapter
 * is meant to be registered here under its own name, next to the base (it would share the base's
 * weights and get its own scheduler, or a per-sequence adapter in a shared one), and every route
 * already resolves its model through {@link #resolve}.
 */
final class ModelRegistry implements AutoCloseable {
  private final Map<String, TextModel> models = new LinkedHashMap<>();
  private final String defaultName;

  ModelRegistry(TextModel base) {
    this.defaultName = base.name;
    models.put(base.name, base);
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
