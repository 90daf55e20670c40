package dev.sparkllm.serving;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server's Prometheus metrics, on a registry of its own (two servers in one JVM, as in tests,
 * do not share counters). Prometheus' Java client rather than hand-written exposition: histogram
 * buckets, label escaping and the text format are its job.
 */
final class ServeMetrics {
  private static final double[] LATENCY_BOUNDS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120
  };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  final Counter requests =
      Counter.builder()
          .name("spark_llm_requests_total")
          .help("HTTP requests by route and status code")
          .labelNames("route", "status")
          .register(registry);
  final Histogram latency =
      Histogram.builder()
          .name("spark_llm_request_duration_seconds")
          .help("Time from request to last byte, by route")
          .labelNames("route")
          .classicOnly()
          .classicUpperBounds(LATENCY_BOUNDS)
          .register(registry);
  final Histogram timeToFirstToken =
      Histogram.builder()
          .name("spark_llm_time_to_first_token_seconds")
          .help("Time from request to its first generated token")
          .classicOnly()
          .classicUpperBounds(LATENCY_BOUNDS)
          .register(registry);
  final Counter generatedTokens =
      Counter.builder()
          .name("spark_llm_generated_tokens_total")
          .help("Tokens generated (all choices)")
          .register(registry);
  final Counter promptTokens =
      Counter.builder()
          .name("spark_llm_prompt_tokens_total")
          .help("Prompt tokens of admitted requests")
          .register(registry);
  final Gauge queueDepth =
      Gauge.builder()
          .name("spark_llm_queue_depth")
          .help("Sequences waiting for a slot in the batch")
          .register(registry);
  final Gauge activeSequences =
      Gauge.builder()
          .name("spark_llm_active_sequences")
          .help("Sequences decoding now")
          .register(registry);
  final Histogram batchSize =
      Histogram.builder()
          .name("spark_llm_batch_size")
          .help("Sequences per decoding step")
          .classicOnly()
          .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256)
          .register(registry);
  final Counter finished =
      Counter.builder()
          .name("spark_llm_sequences_finished_total")
          .help("Sequences that left the batch, by reason (stop, length, cancelled, timeout, ...)")
          .labelNames("reason")
          .register(registry);
  final Counter safety =
      Counter.builder()
          .name("spark_llm_safety_events_total")
          .help("Safety net hits by where (prompt, output) and action (refused, redacted, pii)")
          .labelNames("where", "action")
          .register(registry);

  ServeMetrics() {
    GaugeWithCallback.builder()
        .name("spark_llm_memory_bytes")
        .help("Memory: JVM heap used and max, process resident set (includes PyTorch's)")
        .labelNames("area")
        .callback(
            cb -> {
              Runtime rt = Runtime.getRuntime();
              cb.call(rt.totalMemory() - rt.freeMemory(), "heap_used");
              cb.call(rt.maxMemory(), "heap_max");
              long rss = residentBytes();
              if (rss >= 0) {
                cb.call(rss, "resident");
              }
            })
        .register(registry);
  }

  /** The text exposition format. */
  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** VmRSS from /proc (Linux); -1 elsewhere. */
  private static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: the resident set is simply not reported.
    }
    return -1;
  }
}
