package dev.sparkllm.serving;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.training.Generator;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** {@code /v1/completions} and {@code /v1/chat/completions}: whole responses or SSE streams. */
final class Completions {
  private final ModelRegistry models;
  private final ServeSettings settings;
  private final SafetyNet safety;
  private final ServeMetrics metrics;

  Completions(ModelRegistry models, ServeSettings s, SafetyNet safety, ServeMetrics metrics) {
    this.models = models;
    this.settings = s;
    this.safety = safety;
    this.metrics = metrics;
  }

  void handle(Context ctx, boolean chat, long startNanos) throws IOException {
    ObjectNode body = GenRequest.parseBody(ctx.bodyAsBytes());
    String field = chat ? "messages" : "prompt";
    String prompt =
        chat ? GenRequest.renderChat(body, settings) : GenRequest.requiredString(body, "prompt");
    GenRequest req = GenRequest.parse(body, prompt, settings);
    TextModel model = models.resolve(req.model());
    prompt = checkPrompt(prompt, field);
    int[] ids = model.encode(prompt);
    int limit =
        settings.maxPromptTokens() > 0
            ? Math.min(settings.maxPromptTokens(), model.contextLength)
            : model.contextLength;
    if (ids.length == 0) {
      throw ApiError.invalid(field, field + " is empty after tokenization");
    }
    if (ids.length > limit) {
      throw ApiError.invalid(
          field, field + " has " + ids.length + " tokens; this server takes at most " + limit);
    }
    List<Scheduler.Job> jobs = new ArrayList<>();
    for (int i = 0; i < req.n(); i++) {
      Generator.Options o =
          new Generator.Options(
              req.maxTokens(), req.temperature(), req.topK(), req.topP(), req.seed() + i, -1, true);
      jobs.add(new Scheduler.Job(ids, o, req.ignoreEos() ? -1 : model.endOfText));
    }
    model.scheduler.submit(jobs);
    metrics.promptTokens.inc(ids.length);
    Response r = new Response(chat, model.name, ids.length);
    long deadline = startNanos + TimeUnit.SECONDS.toNanos(settings.requestTimeoutSeconds());
    if (req.stream()) {
      stream(ctx, model, req, jobs, r, deadline, startNanos);
    } else {
      collect(ctx, model, req, jobs, r, deadline, startNanos);
    }
  }

  private String checkPrompt(String prompt, String field) {
    if (safety.firstMatch(prompt, 0) < 0) {
      return prompt;
    }
    if (safety.action() == SafetyNet.Action.REFUSE) {
      metrics.safety.labelValues("prompt", "refused").inc();
      throw new ApiError(
          400,
          "invalid_request_error",
          field,
          "content_filter",
          "the " + field + " matches a blocked pattern (serve.block_patterns)");
    }
    metrics.safety.labelValues("prompt", "redacted").inc();
    return safety.redactPatterns(prompt);
  }

  private void collect(
      Context ctx,
      TextModel model,
      GenRequest req,
      List<Scheduler.Job> jobs,
      Response r,
      long deadline,
      long start) {
    List<ChoiceText> texts = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (Scheduler.Job job : jobs) {
      ChoiceText text = new ChoiceText(model, req.stop(), safety, metrics);
      texts.add(text);
      reasons.add(run(job, text, deadline, start, jobs, null));
    }
    List<Object> choices = new ArrayList<>();
    int completion = 0;
    for (int i = 0; i < jobs.size(); i++) {
      choices.add(r.choice(i, texts.get(i).take(true), reasons.get(i), false));
      completion += texts.get(i).tokens();
    }
    ctx.json(r.body(choices, completion));
  }

  /**
   * Reads one job's events to its end; returns the finish reason. With {@code sink}, sends the text
   * as it becomes sendable (streaming); an IOException there means the client left.
   */
  private String run(
      Scheduler.Job job,
      ChoiceText text,
      long deadline,
      long start,
      List<Scheduler.Job> all,
      Sink sink) {
    while (true) {
      Scheduler.Event e;
      try {
        e = job.events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        all.forEach(j -> j.cancel("cancelled"));
        throw new ApiError(503, "server_error", null, "interrupted", "the request was interrupted");
      }
      if (e == null) {
        all.forEach(j -> j.cancel("timeout"));
        throw new ApiError(
            408,
            "timeout_error",
            null,
            "timeout",
            "the request ran past serve.request_timeout_seconds ("
                + settings.requestTimeoutSeconds()
                + " s)");
      }
      if (e instanceof Scheduler.Token t) {
        if (text.tokens() == 0 && job == all.get(0)) {
          metrics.timeToFirstToken.observe((System.nanoTime() - start) / 1e9);
        }
        String reason = text.add(t.id());
        if (reason != null) {
          job.cancel(reason);
          drainUntilDone(job);
          return reason;
        }
        if (sink != null) {
          sink.send(text.take(false), null);
        }
      } else if (e instanceof Scheduler.Done d) {
        return text.finishReason() != null ? text.finishReason() : d.reason();
      } else if (e instanceof Scheduler.Failed f) {
        all.forEach(j -> j.cancel("error"));
        throw new ApiError(500, "server_error", null, "decoding_failed", f.message());
      }
    }
  }

  /** Waits for the scheduler to let go of a cancelled job (its slot is free after this). */
  private static void drainUntilDone(Scheduler.Job job) {
    try {
      Scheduler.Event e;
      do {
        e = job.events.poll(30, TimeUnit.SECONDS);
      } while (e != null && !(e instanceof Scheduler.Done) && !(e instanceof Scheduler.Failed));
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }

  interface Sink {
    void send(String text, String finishReason);
  }

  /** The client went away mid-stream. */
  static final class ClientGone extends RuntimeException {
    ClientGone(IOException cause) {
      super(cause);
    }
  }

  private void stream(
      Context ctx,
      TextModel model,
      GenRequest req,
      List<Scheduler.Job> jobs,
      Response r,
      long deadline,
      long start)
      throws IOException {
    ctx.status(200);
    ctx.res().setContentType("text/event-stream");
    ctx.res().setHeader("Cache-Control", "no-cache");
    OutputStream os = ctx.res().getOutputStream();
    try {
      // Choices are streamed one after the other; all of them decode together meanwhile.
      for (int i = 0; i < jobs.size(); i++) {
        int index = i;
        ChoiceText text = new ChoiceText(model, req.stop(), safety, metrics);
        Sink sink =
            (chunk, reason) -> {
              if (!chunk.isEmpty() || reason != null) {
                write(os, r.chunk(index, chunk, reason));
              }
            };
        if (r.chat) {
          write(os, r.roleChunk(index));
        }
        String reason;
        try {
          reason = run(jobs.get(i), text, deadline, start, jobs, sink);
        } catch (ApiError e) {
          write(os, compact(e.body()));
          return;
        }
        sink.send(text.take(true), reason);
      }
      os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      os.flush();
    } catch (ClientGone gone) {
      jobs.forEach(j -> j.cancel("cancelled"));
    }
  }

  /** One line of JSON: an SSE data field must not contain line breaks. */
  static String compact(Object value) {
    try {
      return Json.MAPPER
          .writer()
          .without(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void write(OutputStream os, String json) {
    try {
      os.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
      os.flush();
    } catch (IOException e) {
      throw new ClientGone(e);
    }
  }

  /** The OpenAI response and chunk shapes. */
  static final class Response {
    final boolean chat;
    final String model;
    final int promptTokens;
    final String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
    final long created = System.currentTimeMillis() / 1000;

    Response(boolean chat, String model, int promptTokens) {
      this.chat = chat;
      this.model = model;
      this.promptTokens = promptTokens;
    }

    Map<String, Object> choice(int index, String text, String reason, boolean delta) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("index", index);
      if (chat) {
        c.put(delta ? "delta" : "message", delta ? Map.of("content", text) : message(text));
      } else {
        c.put("text", text);
        c.put("logprobs", null);
      }
      c.put("finish_reason", reason);
      return c;
    }

    private static Map<String, Object> message(String text) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", "assistant");
      m.put("content", text);
      return m;
    }

    Map<String, Object> body(List<Object> choices, int completionTokens) {
      Map<String, Object> b = head(chat ? "chat.completion" : "text_completion");
      b.put("choices", choices);
      b.put(
          "usage",
          Map.of(
              "prompt_tokens",
              promptTokens,
              "completion_tokens",
              completionTokens,
              "total_tokens",
              promptTokens + completionTokens));
      return b;
    }

    String chunk(int index, String text, String reason) {
      Map<String, Object> b = head(chat ? "chat.completion.chunk" : "text_completion");
      b.put("choices", List.of(choice(index, text, reason, true)));
      return compact(b);
    }

    String roleChunk(int index) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("index", index);
      c.put("delta", Map.of("role", "assistant"));
      c.put("finish_reason", null);
      Map<String, Object> b = head("chat.completion.chunk");
      b.put("choices", List.of(c));
      return compact(b);
    }

    private Map<String, Object> head(String object) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("id", id);
      b.put("object", object);
      b.put("created", created);
      b.put("model", model);
      return b;
    }
  }
}
