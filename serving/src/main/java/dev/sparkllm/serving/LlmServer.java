package dev.sparkllm.serving;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST server: one model in memory behind OpenAI-style routes, on Javalin (Jetty 11). Routes
 * under /v1 and /metrics need an API key when keys are configured; /, /healthz and /readyz do not.
 * {@link #shutdown} (SIGTERM) refuses new requests, lets in-flight ones finish, then stops.
 */
public final class LlmServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LlmServer.class);

  private final ServeSettings settings;
  private final ServeMetrics metrics = new ServeMetrics();
  private final ModelRegistry models;
  private final Auth auth;
  private final SafetyNet safety;
  private final Completions completions;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Javalin app;
  private volatile boolean draining;

  private LlmServer(
      ServeSettings s,
      Config cfg,
      String checkpoint,
      Path tokenizer,
      Map<String, String> env,
      Map<String, String> adapters) {
    this.settings = s;
    this.auth = new Auth(s, env);
    checkBind(s, auth);
    if (!auth.enabled()) {
      // The first line of the log on purpose: nobody should serve without keys by accident.
      LOG.warn(
          "serving WITHOUT API keys on {} (loopback only): any local process can call it; set {}"
              + " or serve.api_keys_file to require keys",
          s.host(),
          s.apiKeysEnv());
    }
    this.safety = new SafetyNet(s, cfg);
    this.models =
        new ModelRegistry(TextModel.load(s.modelName(), checkpoint, tokenizer, s, metrics));
    try {
      // Fine-tuned from the base, so they share its tokenizer.
      adapters.forEach(
          (name, dir) -> models.register(TextModel.load(name, dir, tokenizer, s, metrics)));
    } catch (RuntimeException e) {
      models.close();
      throw e;
    }
    this.completions = new Completions(models, s, safety, metrics);
    this.app = Javalin.create(this::configure);
    routes(app);
  }

  /** Loads the model and starts listening; {@code env} supplies the key variables. */
  public static LlmServer start(
      ServeSettings s, Config cfg, String checkpoint, Path tokenizer, Map<String, String> env) {
    return start(s, cfg, checkpoint, tokenizer, env, Map.of());
  }

  /**
   * As {@link #start(ServeSettings, Config, String, Path, Map)}, with fine-tuned models of the base
   * (name → checkpoint or run directory) that requests choose by {@code model}.
   */
  public static LlmServer start(
      ServeSettings s,
      Config cfg,
      String checkpoint,
      Path tokenizer,
      Map<String, String> env,
      Map<String, String> adapters) {
    LlmServer server = new LlmServer(s, cfg, checkpoint, tokenizer, env, adapters);
    try {
      server.app.start(s.host(), s.port());
    } catch (RuntimeException e) {
      server.models.close();
      throw new SparkLlmException(
          "cannot listen on " + s.host() + ":" + s.port() + ": " + e.getMessage());
    }
    LOG.info(
        "serving {} on {}://{}:{}",
        s.modelName(),
        s.tlsCert() == null ? "http" : "https",
        s.host(),
        server.port());
    return server;
  }

  public int port() {
    return app.port();
  }

  static void checkBind(ServeSettings s, Auth auth) {
    boolean loopback;
    try {
      loopback = InetAddress.getByName(s.host()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new SparkLlmException("serve.host '" + s.host() + "' does not resolve");
    }
    if (!loopback && !auth.enabled()) {
      throw new SparkLlmException(
          "refusing to listen on "
              + s.host()
              + " without API keys; set "
              + s.apiKeysEnv()
              + " or serve.api_keys_file, or serve on 127.0.0.1");
    }
  }

  private void configure(io.javalin.config.JavalinConfig c) {
    c.http.maxRequestSize = settings.maxBodyBytes();
    c.http.disableCompression();
    c.showJavalinBanner = false;
    if (settings.tlsCert() != null) {
      c.jetty.addConnector(
          (server, http) ->
              Tls.connector(server, http, settings, settings.host(), settings.port()));
    }
  }

  private void routes(Javalin r) {
    r.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
    r.get(
        "/readyz",
        ctx -> {
          if (draining) {
            ctx.status(503).json(Map.of("status", "draining"));
          } else {
            ctx.json(Map.of("status", "ready", "model", settings.modelName()));
          }
        });
    r.get("/", ctx -> ctx.html(playground()));
    r.get("/metrics", guarded("/metrics", true, this::metrics));
    r.get("/v1/models", guarded("/v1/models", false, this::listModels));
    r.post(
        "/v1/completions",
        guarded("/v1/completions", false, ctx -> completions.handle(ctx, false, start(ctx))));
    r.post(
        "/v1/chat/completions",
        guarded("/v1/chat/completions", false, ctx -> completions.handle(ctx, true, start(ctx))));
    r.post("/v1/score", guarded("/v1/score", false, this::score));
  }

  private static long start(Context ctx) {
    return ctx.attribute("start");
  }

  /** Auth, draining, error shape and request metrics around a route. */
  private Handler guarded(String route, boolean metricsRoute, Handler h) {
    return ctx -> {
      long start = System.nanoTime();
      ctx.attribute("start", start);
      inFlight.incrementAndGet();
      try {
        String authz = ctx.header("Authorization");
        ApiError denied = metricsRoute ? auth.checkMetrics(authz) : auth.checkApi(authz);
        if (denied != null) {
          throw denied;
        }
        if (draining && !metricsRoute) {
          throw new ApiError(
              503, "server_error", null, "shutting_down", "the server is shutting down");
        }
        if (ctx.contentLength() > settings.maxBodyBytes()) {
          throw new ApiError(
              413,
              "invalid_request_error",
              null,
              "body_too_large",
              "the body exceeds serve.max_body_bytes (" + settings.maxBodyBytes() + " bytes)");
        }
        h.handle(ctx);
      } catch (ApiError e) {
        if (!ctx.res().isCommitted()) {
          ctx.status(e.status).json(e.body());
        }
      } catch (io.javalin.http.HttpResponseException e) {
        ApiError a =
            new ApiError(e.getStatus(), "invalid_request_error", null, null, e.getMessage());
        ctx.status(a.status).json(a.body());
      } catch (RuntimeException e) {
        LOG.warn("{} failed: {}", route, e.toString());
        ApiError a = new ApiError(500, "server_error", null, null, "internal error: " + e);
        if (!ctx.res().isCommitted()) {
          ctx.status(500).json(a.body());
        }
      } finally {
        inFlight.decrementAndGet();
        metrics.requests.labelValues(route, String.valueOf(ctx.statusCode())).inc();
        metrics.latency.labelValues(route).observe((System.nanoTime() - start) / 1e9);
      }
    };
  }

  private void metrics(Context ctx) {
    ctx.contentType(ServeMetrics.contentType()).result(metrics.scrape());
  }

  private void listModels(Context ctx) {
    List<Object> data = new ArrayList<>();
    for (TextModel m : models.all()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("id", m.name);
      e.put("object", "model");
      e.put("owned_by", "spark-llm");
      e.put("context_length", m.contextLength);
      data.add(e);
    }
    ctx.json(Map.of("object", "list", "data", data));
  }

  private void score(Context ctx) throws Exception {
    ObjectNode body = GenRequest.parseBody(ctx.bodyAsBytes());
    String text = GenRequest.requiredString(body, "text");
    TextModel m = models.resolve(GenRequest.optString(body, "model"));
    int[] ids = m.encode(text);
    if (ids.length < 2) {
      throw ApiError.invalid(
          "text", "text must have at least 2 tokens to score, got " + ids.length);
    }
    if (ids.length > m.contextLength) {
      throw ApiError.invalid(
          "text", "text has " + ids.length + " tokens; the model context is " + m.contextLength);
    }
    double[] lp = m.scheduler.logProbs(ids);
    List<String> tokens = new ArrayList<>();
    List<Object> logprobs = new ArrayList<>();
    logprobs.add(null); // the first token has no context to be predicted from
    double total = 0;
    for (int i = 0; i < ids.length; i++) {
      tokens.add(m.token(ids[i]));
      if (i > 0) {
        logprobs.add(lp[i - 1]);
        total += lp[i - 1];
      }
    }
    double mean = total / (ids.length - 1);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", "score");
    out.put("model", m.name);
    out.put("tokens", tokens);
    out.put("token_logprobs", logprobs);
    out.put("total_logprob", total);
    out.put("mean_logprob", mean);
    out.put("perplexity", Math.exp(-mean));
    out.put("usage", Map.of("prompt_tokens", ids.length, "total_tokens", ids.length));
    ctx.json(out);
  }

  private static String playground() throws IOException {
    try (InputStream in = LlmServer.class.getResourceAsStream("/spark-llm/playground.html")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Graceful stop: new requests get 503 (and /readyz fails) at once; in-flight requests finish,
   * within serve.shutdown_grace_seconds; then the listener and the model go.
   */
  public void shutdown() {
    draining = true;
    models.all().forEach(m -> m.scheduler.drain());
    long deadline = System.nanoTime() + settings.shutdownGraceSeconds() * 1_000_000_000L;
    while (System.nanoTime() < deadline
        && (inFlight.get() > 0
            || models.all().stream().anyMatch(m -> m.scheduler.inFlight() > 0))) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    close();
  }

  @Override
  public void close() {
    draining = true;
    app.stop();
    models.close();
  }
}
