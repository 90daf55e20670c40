package dev.sparkllm.training.distributed;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections and frames the gradient service turned away, counted by reason, so an attack or a
 * misconfigured peer shows in the driver log and in the run's summary rather than only as a slow
 * step.
 */
public final class Rejections {
  private static final Logger LOG = LoggerFactory.getLogger(Rejections.class);

  /** No or wrong proof of the run's secret (a replayed or foreign handshake included). */
  public static final String AUTH = "auth";

  /** The handshake or hello did not arrive within the handshake timeout. */
  public static final String TIMEOUT = "handshake_timeout";

  /** More connections open than the service allows. */
  public static final String CONNECTIONS = "too_many_connections";

  /** A hello naming a rank or world this run does not have. */
  public static final String HELLO = "bad_hello";

  /** A stage attempt older than the current one or beyond Spark's attempt range. */
  public static final String ATTEMPT = "bad_attempt";

  /** A frame whose length, kind or payload breaks the protocol. */
  public static final String MALFORMED = "malformed_frame";

  /** A well-formed frame the current state refuses (stale step, sent twice, wrong rank). */
  public static final String REFUSED = "refused_frame";

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  void count(String reason, Object peer, String detail) {
    counts.computeIfAbsent(reason, k -> new LongAdder()).increment();
    LOG.warn("gradient service rejected {} ({}): {}", peer, reason, detail);
  }

  /** Reason → count, for the driver's summary and for tests. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
