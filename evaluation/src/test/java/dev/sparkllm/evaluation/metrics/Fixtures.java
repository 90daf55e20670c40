package dev.sparkllm.evaluation.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** fixtures.json, written by src/test/resources/metrics/make_fixtures.py (NLTK 3.8). */
final class Fixtures {
  static final JsonNode ROOT = load();

  private Fixtures() {}

  private static JsonNode load() {
    try (InputStream in = Fixtures.class.getResourceAsStream("/metrics/fixtures.json")) {
      return Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }
}
