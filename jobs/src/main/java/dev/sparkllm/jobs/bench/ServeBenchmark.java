package dev.sparkllm.jobs.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.serving.LlmServer;
import dev.sparkllm.serving.ServeSettings;
import dev.sparkllm.training.Generator;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code benchmark serve}: a load test of the REST server on loopback (not a test). A random model
 * of a preset ({@code mini} by default: 6 layers, 384 wide) and a character tokenizer, fixed prompt
 * and output lengths ({@code ignore_eos}), streaming requests at concurrency 1, 4, 16 and 64 (at
 * least 8 and 2 × concurrency requests each); the baseline is the same requests through sequential
 * {@link Generator#generate} in the same JVM, so the gain from batching is one ratio.
 */
public final class ServeBenchmark {
  static final int[] CONCURRENCY = {1, 4, 16, 64};
  static final int PROMPT_CHARS = 16;
  static final int OUTPUT_TOKENS = 32;
  private static final String CHARS =
      " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()-";

  private ServeBenchmark() {}

  public static Map<String, Object> run(Path work, String preset, PrintStream log)
      throws Exception {
    Files.createDirectories(work);
    Path tokenizer = work.resolve("tokenizer.json");
    Files.writeString(tokenizer, charTokenizer());
    Path modelDir = Files.createDirectories(work.resolve("model"));
    GptConfig gc = GptConfig.preset(preset, CHARS.length() + 2);
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(1);
      Gpt gpt = Gpt.create(m, gc);
      Files.writeString(modelDir.resolve("config.json"), Json.write(gpt.config().toHfConfig()));
      Files.write(modelDir.resolve("model.safetensors"), Gpt2Weights.export(gpt));
    }
    String prompt = "the quick brown fox jumps".substring(0, PROMPT_CHARS);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model", preset + " preset, random weights, vocab " + gc.vocabSize());
    out.put("prompt_tokens", PROMPT_CHARS);
    out.put("output_tokens", OUTPUT_TOKENS);
    out.put("cores", Runtime.getRuntime().availableProcessors());

    // Baseline: the same requests one after the other through the plain generator.
    int baselineRequests = 8;
    double baselineSeconds;
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt gpt = Generator.load(m, modelDir.toString());
      int[] ids = new int[PROMPT_CHARS];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = CHARS.indexOf(prompt.charAt(i)) + 2;
      }
      Generator.Options o = new Generator.Options(OUTPUT_TOKENS, 1.0, 0, 1.0, 0, -1, true);
      Generator.generate(gpt, ids, o); // warm-up
      long t0 = System.nanoTime();
      for (int i = 0; i < baselineRequests; i++) {
        Generator.generate(gpt, ids, o);
      }
      baselineSeconds = (System.nanoTime() - t0) / 1e9;
    }
    double baselineTokS = baselineRequests * OUTPUT_TOKENS / baselineSeconds;
    out.put(
        "baseline_sequential_generate",
        Map.of(
            "requests", baselineRequests,
            "seconds", baselineSeconds,
            "requests_per_s", baselineRequests / baselineSeconds,
            "output_tokens_per_s", baselineTokS));
    log.printf("baseline (sequential generate): %.1f output tok/s%n", baselineTokS);

    Config cfg =
        Config.load(
            null,
            List.of(
                "serve.port=0",
                "serve.max_batch=64",
                "serve.max_queue=256",
                "serve.request_timeout_seconds=600"));
    List<Object> levels = new ArrayList<>();
    try (LlmServer server =
        LlmServer.start(ServeSettings.from(cfg), cfg, modelDir.toString(), tokenizer, Map.of())) {
      HttpClient http = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + server.port() + "/v1/completions";
      String body =
          "{\"prompt\":"
              + Json.MAPPER.writeValueAsString(prompt)
              + ",\"max_tokens\":"
              + OUTPUT_TOKENS
              + ",\"temperature\":1.0,\"seed\":%d,\"ignore_eos\":true,\"stream\":true}";
      one(http, url, String.format(body, 0)); // warm-up
      for (int c : CONCURRENCY) {
        int requests = Math.max(8, 2 * c);
        ExecutorService pool = Executors.newFixedThreadPool(c);
        List<Future<double[]>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < requests; i++) {
          String b = String.format(body, i);
          fs.add(pool.submit(() -> one(http, url, b)));
        }
        List<double[]> results = new ArrayList<>();
        int errors = 0;
        for (Future<double[]> f : fs) {
          try {
            results.add(f.get(10, TimeUnit.MINUTES));
          } catch (Exception e) {
            errors++;
          }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdownNow();
        double[] lat = results.stream().mapToDouble(r -> r[0]).sorted().toArray();
        double[] ttft = results.stream().mapToDouble(r -> r[1]).sorted().toArray();
        long tokens = results.stream().mapToLong(r -> (long) r[2]).sum();
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("concurrency", c);
        l.put("requests", requests);
        l.put("errors", errors);
        l.put("seconds", seconds);
        l.put("requests_per_s", results.size() / seconds);
        l.put("output_tokens_per_s", tokens / seconds);
        l.put("speedup_over_sequential", tokens / seconds / baselineTokS);
        l.put("latency_s", percentiles(lat));
        l.put("ttft_s", percentiles(ttft));
        levels.add(l);
        log.printf(
            "concurrency %2d: %6.2f req/s, %7.1f tok/s (%.2fx sequential), p50 %.2fs, p99 %.2fs,"
                + " TTFT p50 %.3fs, errors %d%n",
            c,
            results.size() / seconds,
            tokens / seconds,
            tokens / seconds / baselineTokS,
            pct(lat, 50),
            pct(lat, 99),
            pct(ttft, 50),
            errors);
      }
    }
    out.put("levels", levels);
    return out;
  }

  /** One streamed request: {latency s, time to first token s, tokens}. */
  private static double[] one(HttpClient http, String url, String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<java.io.InputStream> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      r.body().close();
      throw new IllegalStateException("HTTP " + r.statusCode());
    }
    double ttft = -1;
    int chunks = 0;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("data: {")) {
          if (ttft < 0) {
            ttft = (System.nanoTime() - t0) / 1e9;
          }
          chunks++;
        }
      }
    }
    return new double[] {(System.nanoTime() - t0) / 1e9, ttft, OUTPUT_TOKENS};
  }

  private static Map<String, Object> percentiles(double[] sorted) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", pct(sorted, 50));
    m.put("p95", pct(sorted, 95));
    m.put("p99", pct(sorted, 99));
    return m;
  }

  private static double pct(double[] sorted, int p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  public static String write(Map<String, Object> result, String outputDir) {
    String path = Storage.join(outputDir, "serve-benchmark.json");
    Json.writeFile(path, result);
    return path;
  }

  /** A character-level tokenizer.json: ids 0, 1 special, then one per character. */
  private static String charTokenizer() {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<|endoftext|>", 0);
    vocab.put("<|pad|>", 1);
    for (int i = 0; i < CHARS.length(); i++) {
      vocab.put(String.valueOf(CHARS.charAt(i)), i + 2);
    }
    List<Object> added = new ArrayList<>();
    for (String s : Arrays.asList("<|endoftext|>", "<|pad|>")) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("id", vocab.get(s));
      a.put("content", s);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
      added.add(a);
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", "<|pad|>");
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("version", "1.0");
    t.put("truncation", null);
    t.put("padding", null);
    t.put("added_tokens", added);
    t.put("normalizer", null);
    t.put("pre_tokenizer", null);
    t.put("post_processor", null);
    t.put("decoder", Map.of("type", "Fuse"));
    t.put("model", model);
    return Json.write(t);
  }
}
