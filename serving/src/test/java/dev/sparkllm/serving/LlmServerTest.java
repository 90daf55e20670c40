package dev.sparkllm.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.testing.CharTokenizer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server over real HTTP on loopback, with a tiny random model and a character tokenizer. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LlmServerTest {
  static final String KEY = "test-key-123";
  static final String CHARS = " abcdefghijklmnopqrstuvwxyz.,;";

  @TempDir static Path dir;
  static String model;
  static String longModel; // a 1024-token context: streams long enough to leave in the middle
  static Path tokenizer;
  static LlmServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path m = Files.createDirectories(dir.resolve("model"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(5);
      Gpt gpt = Gpt.create(manager, new GptConfig(32, 256, 1, 2, 16, 0.0, 1e-5, 0.3));
      Files.writeString(m.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(m.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    model = m.toString();
    Path l = Files.createDirectories(dir.resolve("long"));
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(6);
      Gpt gpt = Gpt.create(manager, new GptConfig(32, 1024, 2, 2, 32, 0.0, 1e-5, 0.3));
      Files.writeString(l.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(l.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    longModel = l.toString();
    tokenizer = dir.resolve("tokenizer.json");
    Files.writeString(tokenizer, CharTokenizer.json(CHARS));
    server = start(List.of("serve.max_body_bytes=4096"));
  }

  static LlmServer start(List<String> overrides) {
    return start(model, overrides);
  }

  static LlmServer start(String checkpoint, List<String> overrides) {
    List<String> o = new ArrayList<>(List.of("serve.port=0"));
    o.addAll(overrides);
    Config cfg = Config.load(null, o);
    return LlmServer.start(
        ServeSettings.from(cfg), cfg, checkpoint, tokenizer, Map.of("SPARK_LLM_API_KEYS", KEY));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static HttpResponse<String> post(LlmServer s, String path, String body, String key)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(LlmServer s, String path, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  static String completion(String body) throws Exception {
    HttpResponse<String> r = post(server, "/v1/completions", body, KEY);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r).at("/choices/0/text").asText();
  }

  @Test
  void aFineTunedModelIsChosenPerRequestByNameAndAnswersAsItDoesAlone() throws Exception {
    String body =
        "{\"model\":\"%s\",\"prompt\":\"the cat\",\"max_tokens\":12,\"temperature\":0.9,"
            + "\"seed\":3}";
    List<String> o = List.of("serve.model_name=base");
    String viaName;
    String baseText;
    try (LlmServer both =
        LlmServer.start(
            ServeSettings.from(Config.load(null, withPort(o))),
            Config.load(null, withPort(o)),
            model,
            tokenizer,
            Map.of("SPARK_LLM_API_KEYS", KEY),
            Map.of("tuned", longModel))) {
      assertThat(get(both, "/v1/models", KEY).body()).contains("\"base\"", "\"tuned\"");
      viaName =
          json(post(both, "/v1/completions", body.formatted("tuned"), KEY))
              .at("/choices/0/text")
              .asText();
      baseText =
          json(post(both, "/v1/completions", body.formatted("base"), KEY))
              .at("/choices/0/text")
              .asText();
      HttpResponse<String> unknown = post(both, "/v1/completions", body.formatted("nope"), KEY);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(json(unknown).at("/error/param").asText()).isEqualTo("model");
    }
    String alone;
    try (LlmServer tuned = start(longModel, List.of("serve.model_name=tuned"))) {
      alone =
          json(post(tuned, "/v1/completions", body.formatted("tuned"), KEY))
              .at("/choices/0/text")
              .asText();
    }
    assertThat(viaName).isEqualTo(alone).isNotEqualTo(baseText);
  }

  private static List<String> withPort(List<String> o) {
    List<String> all = new ArrayList<>(List.of("serve.port=0"));
    all.addAll(o);
    return all;
  }

  @Test
  void apiKeysAreRequiredOnV1AndMetricsButNotOnHealth() throws Exception {
    String body = "{\"prompt\":\"the cat\",\"max_tokens\":4}";
    HttpResponse<String> none = post(server, "/v1/completions", body, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(json(none).at("/error/code").asText()).isEqualTo("invalid_api_key");
    assertThat(post(server, "/v1/completions", body, "wrong").statusCode()).isEqualTo(401);
    assertThat(post(server, "/v1/completions", body, KEY).statusCode()).isEqualTo(200);
    assertThat(get(server, "/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get(server, "/v1/models", KEY).body()).contains("\"spark-llm\"");
    assertThat(get(server, "/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get(server, "/readyz", null).body()).contains("ready");
  }

  @Test
  void everyValidationErrorIsA400NamingTheField() throws Exception {
    Map<String, String> bad =
        Map.ofEntries(
            Map.entry("{\"prompt\":", "null"),
            Map.entry("[1,2]", "null"),
            Map.entry("{}", "prompt"),
            Map.entry("{\"prompt\":7}", "prompt"),
            Map.entry("{\"prompt\":\"a\",\"max_tokens\":0}", "max_tokens"),
            Map.entry("{\"prompt\":\"a\",\"max_tokens\":100000}", "max_tokens"),
            Map.entry("{\"prompt\":\"a\",\"max_tokens\":\"5\"}", "max_tokens"),
            Map.entry("{\"prompt\":\"a\",\"temperature\":-1}", "temperature"),
            Map.entry("{\"prompt\":\"a\",\"temperature\":\"hot\"}", "temperature"),
            Map.entry("{\"prompt\":\"a\",\"top_p\":0}", "top_p"),
            Map.entry("{\"prompt\":\"a\",\"top_p\":1.5}", "top_p"),
            Map.entry("{\"prompt\":\"a\",\"top_k\":-2}", "top_k"),
            Map.entry("{\"prompt\":\"a\",\"seed\":1.5}", "seed"),
            Map.entry("{\"prompt\":\"a\",\"stop\":5}", "stop"),
            Map.entry("{\"prompt\":\"a\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"),
            Map.entry("{\"prompt\":\"a\",\"n\":0}", "n"),
            Map.entry("{\"prompt\":\"a\",\"n\":100}", "n"),
            Map.entry("{\"prompt\":\"a\",\"stream\":\"yes\"}", "stream"),
            Map.entry("{\"prompt\":\"a\",\"ignore_eos\":1}", "ignore_eos"),
            Map.entry("{\"prompt\":\"a\",\"model\":3}", "model"),
            Map.entry("{\"prompt\":\"" + "a".repeat(300) + "\"}", "prompt"));
    for (Map.Entry<String, String> e : bad.entrySet()) {
      HttpResponse<String> r = post(server, "/v1/completions", e.getKey(), KEY);
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      JsonNode err = json(r).get("error");
      assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
      assertThat(err.get("param").isNull() ? "null" : err.get("param").asText())
          .as(e.getKey())
          .isEqualTo(e.getValue());
    }
    Map<String, String> chat =
        Map.of(
            "{}", "messages",
            "{\"messages\":[]}", "messages",
            "{\"messages\":[{\"role\":\"king\",\"content\":\"a\"}]}", "messages[0].role",
            "{\"messages\":[{\"role\":\"user\",\"content\":1}]}", "messages[0].content");
    for (Map.Entry<String, String> e : chat.entrySet()) {
      HttpResponse<String> r = post(server, "/v1/chat/completions", e.getKey(), KEY);
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      assertThat(json(r).at("/error/param").asText()).isEqualTo(e.getValue());
    }
    HttpResponse<String> unknown =
        post(server, "/v1/completions", "{\"prompt\":\"a\",\"model\":\"nope\"}", KEY);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).at("/error/param").asText()).isEqualTo("model");
    HttpResponse<String> score = post(server, "/v1/score", "{\"text\":\"a\"}", KEY);
    assertThat(json(score).at("/error/param").asText()).isEqualTo("text");
  }

  @Test
  void oversizedBodiesAreRefused() throws Exception {
    String body = "{\"prompt\":\"" + "a".repeat(5000) + "\"}";
    HttpResponse<String> r = post(server, "/v1/completions", body, KEY);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(
            post(server, "/v1/completions", "{\"prompt\":\"ok\",\"max_tokens\":2}", KEY)
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void completionChatAndScoreHaveTheOpenAiShapes() throws Exception {
    HttpResponse<String> r =
        post(server, "/v1/completions", "{\"prompt\":\"the cat\",\"max_tokens\":5,\"n\":2}", KEY);
    JsonNode b = json(r);
    assertThat(b.get("object").asText()).isEqualTo("text_completion");
    assertThat(b.get("choices")).hasSize(2);
    assertThat(b.at("/usage/prompt_tokens").asInt()).isEqualTo(7);
    assertThat(b.at("/usage/total_tokens").asInt())
        .isEqualTo(7 + b.at("/usage/completion_tokens").asInt());
    JsonNode chat =
        json(
            post(
                server,
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}",
                KEY));
    assertThat(chat.get("object").asText()).isEqualTo("chat.completion");
    assertThat(chat.at("/choices/0/message/role").asText()).isEqualTo("assistant");
    JsonNode score = json(post(server, "/v1/score", "{\"text\":\"the cat sat\"}", KEY));
    assertThat(score.get("token_logprobs")).hasSize(11);
    assertThat(score.get("token_logprobs").get(0).isNull()).isTrue();
    double total = 0;
    for (int i = 1; i < 11; i++) {
      assertThat(score.get("token_logprobs").get(i).asDouble()).isNegative();
      total += score.get("token_logprobs").get(i).asDouble();
    }
    assertThat(score.get("perplexity").asDouble())
        .isCloseTo(Math.exp(-total / 10), org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void streamingSendsEventsBeforeTheEndAndTheSameText() throws Exception {
    String body = "{\"prompt\":\"the cat\",\"max_tokens\":40,\"temperature\":1.2,\"seed\":7%s}";
    String whole = completion(String.format(body, ""));
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
            .POST(HttpRequest.BodyPublishers.ofString(String.format(body, ",\"stream\":true")))
            .header("Authorization", "Bearer " + KEY)
            .build();
    HttpResponse<InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    StringBuilder text = new StringBuilder();
    int events = 0;
    boolean done = false;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.startsWith("data: ")) {
          continue;
        }
        String data = line.substring(6);
        if (data.equals("[DONE]")) {
          done = true;
          break;
        }
        JsonNode ev = Json.MAPPER.readTree(data);
        text.append(ev.at("/choices/0/text").asText());
        if (ev.at("/choices/0/finish_reason").isNull()) {
          events++;
        }
      }
    }
    assertThat(done).isTrue();
    assertThat(events).as("chunks sent before the final one").isGreaterThan(1);
    assertThat(text.toString()).isEqualTo(whole);
  }

  @Test
  void sixteenConcurrentSeededClientsGetTheSequentialOutputs() throws Exception {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      bodies.add(
          "{\"prompt\":\"the cat\",\"max_tokens\":16,\"temperature\":1.3,\"top_p\":0.95,"
              + "\"seed\":"
              + (i % 4)
              + "}");
    }
    List<String> sequential = new ArrayList<>();
    for (String b : bodies) {
      sequential.add(completion(b));
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (String b : bodies) {
        futures.add(pool.submit(() -> completion(b)));
      }
      for (int i = 0; i < 16; i++) {
        assertThat(futures.get(i).get()).as("client %d", i).isEqualTo(sequential.get(i));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(sequential.get(0)).isEqualTo(sequential.get(4)); // same seed, same text
    assertThat(sequential.subList(0, 4)).doesNotHaveDuplicates(); // seeds reach the sampler
    // They really shared steps: some decoding step carried more than one sequence.
    assertThat(
            metric(get(server, "/metrics", KEY).body(), "spark_llm_batch_size_bucket{le=\"1.0\"}"))
        .isLessThan(metric(get(server, "/metrics", KEY).body(), "spark_llm_batch_size_count"));
  }

  @Test
  void metricsCountersMove() throws Exception {
    String before = get(server, "/metrics", KEY).body();
    completion("{\"prompt\":\"the\",\"max_tokens\":3,\"temperature\":0}");
    String after = get(server, "/metrics", KEY).body();
    String ok = "spark_llm_requests_total{route=\"/v1/completions\",status=\"200\"}";
    assertThat(metric(after, ok)).isEqualTo(metric(before, ok) + 1);
    assertThat(metric(after, "spark_llm_generated_tokens_total"))
        .isGreaterThan(metric(before, "spark_llm_generated_tokens_total"));
    assertThat(after)
        .contains("spark_llm_time_to_first_token_seconds_bucket")
        .contains("spark_llm_request_duration_seconds_bucket")
        .contains("spark_llm_queue_depth")
        .contains("spark_llm_memory_bytes{area=\"heap_used\"}");
  }

  static double metric(String text, String name) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void aFullQueueAnswers429() throws Exception {
    try (LlmServer small = start(List.of("serve.max_batch=1", "serve.max_queue=0"))) {
      String body = "{\"prompt\":\"the cat\",\"max_tokens\":240,\"temperature\":1}";
      List<CompletableFuture<HttpResponse<String>>> rs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        rs.add(
            HTTP.sendAsync(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + small.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .header("Authorization", "Bearer " + KEY)
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> codes = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> f : rs) {
        HttpResponse<String> r = f.get();
        codes.add(r.statusCode());
        if (r.statusCode() == 429) {
          assertThat(json(r).at("/error/code").asText()).isEqualTo("queue_full");
        }
      }
      assertThat(codes).contains(200, 429);
    }
  }

  @Test
  void aClientThatLeavesMidStreamFreesItsSlot() throws Exception {
    try (LlmServer small =
        start(
            longModel,
            List.of("serve.max_batch=1", "serve.max_queue=0", "serve.max_output_tokens=1000"))) {
      // A raw socket, so that leaving really closes the connection at once.
      String body =
          "{\"prompt\":\"the\",\"max_tokens\":1000,\"temperature\":1,\"stream\":true,"
              + "\"ignore_eos\":true}";
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port())) {
        socket
            .getOutputStream()
            .write(
                ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                        + KEY
                        + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length()
                        + "\r\n\r\n"
                        + body)
                    .getBytes(StandardCharsets.UTF_8));
        InputStream in = socket.getInputStream();
        String head = new String(in.readNBytes(12), StandardCharsets.UTF_8);
        assertThat(head).isEqualTo("HTTP/1.1 200"); // the stream has started
      } // the client leaves
      String cancelled = "spark_llm_sequences_finished_total{reason=\"cancelled\"}";
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (metric(get(small, "/metrics", KEY).body(), cancelled) < 1
          && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(metric(get(small, "/metrics", KEY).body(), cancelled)).isEqualTo(1);
      // The only slot is free again.
      assertThat(
              post(small, "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}", KEY)
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void shutdownFinishesInFlightRequestsAndRefusesNewOnes() throws Exception {
    LlmServer s = start(longModel, List.of("serve.max_output_tokens=1000"));
    int port = s.port();
    CompletableFuture<HttpResponse<String>> inFlight =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"the\",\"max_tokens\":1000,\"temperature\":1,"
                            + "\"seed\":1,\"ignore_eos\":true}"))
                .header("Authorization", "Bearer " + KEY)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (metric(get(s, "/metrics", KEY).body(), "spark_llm_active_sequences") < 1
        && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    Thread stopper = new Thread(s::shutdown);
    stopper.start();
    Thread.sleep(50);
    HttpResponse<String> late =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a\"}"))
                .header("Authorization", "Bearer " + KEY)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(late.statusCode()).isEqualTo(503);
    HttpResponse<String> done = inFlight.get(60, TimeUnit.SECONDS);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    assertThat(json(done).at("/choices/0/finish_reason").asText()).isIn("length", "stop");
    stopper.join(60_000);
    assertThat(stopper.isAlive()).isFalse();
  }
}
