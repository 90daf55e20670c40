package dev.sparkllm.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.model.GptConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safety net over HTTP: a blocked prompt is refused, a blocked output is cut (refuse) or
 * replaced (redact), in whole and streamed responses alike, and /metrics counts it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ServerSafetyTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String REQUEST =
      "{\"prompt\":\"the dog\",\"max_tokens\":60,\"temperature\":0.9,\"seed\":SEED%s}";
  static String BODY; // REQUEST with a seed whose output is long enough to hold a pattern

  @TempDir static Path dir;
  static Path model;
  static Path tokenizer;
  static String plain; // the output without a safety net
  static String blocked; // a piece of it, used as the blocked pattern

  @BeforeAll
  static void plainOutput() throws Exception {
    model = TestModels.model(dir.resolve("m"), new GptConfig(32, 128, 1, 2, 16, 0, 1e-5, 0.3), 8);
    tokenizer = TestModels.tokenizer(dir);
    try (LlmServer s = TestModels.start(model, tokenizer, Map.of(), List.of())) {
      // The random model may end early with <|endoftext|>: take the first seed that does not.
      for (int seed = 0; seed < 50 && (plain == null || plain.length() <= 30); seed++) {
        BODY = REQUEST.replace("SEED", String.valueOf(seed));
        plain = text(post(s, String.format(BODY, "")));
      }
    }
    assertThat(plain.length()).isGreaterThan(30);
    blocked = plain.substring(20, 24);
  }

  static JsonNode post(LlmServer s, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode n = Json.MAPPER.readTree(r.body());
    ((com.fasterxml.jackson.databind.node.ObjectNode) n).put("status", r.statusCode());
    return n;
  }

  static String text(JsonNode n) {
    assertThat(n.get("status").asInt()).as(n.toString()).isEqualTo(200);
    return n.at("/choices/0/text").asText();
  }

  /** The concatenated text of a streamed response. */
  static String streamed(LlmServer s) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(String.format(BODY, ",\"stream\":true")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    StringBuilder out = new StringBuilder();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("data: {")) {
        out.append(Json.MAPPER.readTree(line.substring(6)).at("/choices/0/text").asText());
      }
    }
    return out.toString();
  }

  static String pattern() {
    return "serve.block_patterns=[\""
        + java.util.regex.Pattern.quote(blocked).replace("\\", "\\\\")
        + "\"]";
  }

  @Test
  void refuseCutsTheOutputBeforeTheMatchAndRefusesSuchPrompts() throws Exception {
    try (LlmServer s = TestModels.start(model, tokenizer, Map.of(), List.of(pattern()))) {
      JsonNode r = post(s, String.format(BODY, ""));
      String cut = plain.substring(0, plain.toLowerCase().indexOf(blocked.toLowerCase()));
      assertThat(text(r)).isEqualTo(cut);
      assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
      assertThat(streamed(s)).isEqualTo(cut);
      JsonNode p =
          post(s, "{\"prompt\":" + Json.MAPPER.writeValueAsString("x" + blocked + "x") + "}");
      assertThat(p.get("status").asInt()).isEqualTo(400);
      assertThat(p.at("/error/code").asText()).isEqualTo("content_filter");
      assertThat(p.at("/error/param").asText()).isEqualTo("prompt");
      String metrics =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(metrics)
          .contains("spark_llm_safety_events_total{action=\"refused\",where=\"output\"} 2.0")
          .contains("spark_llm_safety_events_total{action=\"refused\",where=\"prompt\"} 1.0");
    }
  }

  @Test
  void redactReplacesMatchesInWholeAndStreamedOutputs() throws Exception {
    try (LlmServer s =
        TestModels.start(
            model, tokenizer, Map.of(), List.of(pattern(), "serve.block_action=redact"))) {
      String expected =
          plain.replaceAll("(?i)" + java.util.regex.Pattern.quote(blocked), "[redacted]");
      assertThat(expected).isNotEqualTo(plain);
      assertThat(text(post(s, String.format(BODY, "")))).isEqualTo(expected);
      assertThat(streamed(s)).isEqualTo(expected);
    }
  }

  @Test
  void piiRedactionUsesThePreprocessDetectors() {
    Config cfg = Config.load(null, List.of("serve.redact_pii=true"));
    SafetyNet net = new SafetyNet(ServeSettings.from(cfg), cfg);
    assertThat(net.redactPii("mail bob@example.com now")).isEqualTo("mail <EMAIL> now");
    Config off = Config.defaults();
    assertThat(new SafetyNet(ServeSettings.from(off), off).redactPii("bob@example.com"))
        .isEqualTo("bob@example.com");
  }
}
