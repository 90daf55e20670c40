package dev.sparkllm.training.distributed;

import ai.djl.ndarray.NDArray;
import dev.sparkllm.training.GradientExchange;
import dev.sparkllm.training.Trainer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code training.distributed.transport: ring}: the replicas average among themselves with a ring
 * all-reduce ({@link RingAllReduce}); no gradient byte passes through the driver. The driver's
 * {@link GradientClient} stays the control channel: hello, failure reports (a lost ring peer is
 * reported there, so the driver names it and Spark retries the stage), the parameter checksum and
 * the metrics lines.
 */
public final class RingExchange implements GradientExchange, AutoCloseable {
  private final GradientClient control;
  private final int rank;
  private final int world;
  private final int checksumInterval;
  private final RingAllReduce ring;
  private long commNanos;
  private long lastSent;
  private long lastReceived;
  private long lastDriverSent;
  private long lastDriverReceived;

  /**
   * Connects the ring: listens on {@code host} ({@code port}, 0 = any), publishes the address
   * through {@code allGather} and connects to rank + 1, authenticating both connections with {@code
   * auth}.
   *
   * @param subChunkValues values per pipelined sub-chunk; 0 = {@link RingAllReduce#SUB_CHUNK_BYTES}
   */
  public RingExchange(
      GradientClient control,
      int rank,
      int world,
      int attempt,
      DistributedOptions options,
      String host,
      int port,
      Function<String, List<String>> allGather,
      PeerAuth auth,
      int subChunkValues) {
    this.control = control;
    this.rank = rank;
    this.world = world;
    this.checksumInterval = options.checksumInterval();
    if (world == 1) {
      ring = null;
      return;
    }
    int sub =
        subChunkValues > 0
            ? subChunkValues
            : RingAllReduce.SUB_CHUNK_BYTES / options.wire().bytesPerValue();
    Duration timeout = options.timeout();
    RingLinks links =
        new RingLinks(rank, world, attempt, host, port, allGather, auth, options.timeout());
    ring = new RingAllReduce(links, options.wire(), sub, timeout.toMillis());
    // The hello is not a step's traffic: driver bytes per step count checksums only.
    lastDriverSent = control.bytesSent();
    lastDriverReceived = control.bytesReceived();
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int world() {
    return world;
  }

  /** Ring bytes this replica sent so far (data frames with their headers). */
  public long bytesSent() {
    return ring == null ? 0 : ring.bytesSent();
  }

  public long bytesReceived() {
    return ring == null ? 0 : ring.bytesReceived();
  }

  @Override
  public double reduce(long step, double loss, Map<String, NDArray> grads) {
    if (ring == null) {
      return loss;
    }
    int n = 1;
    for (NDArray g : grads.values()) {
      n += Math.toIntExact(g.size());
    }
    float[] flat = new float[n];
    int off = 0;
    for (NDArray g : grads.values()) {
      float[] v = g.toFloatArray();
      System.arraycopy(v, 0, flat, off, v.length);
      off += v.length;
    }
    flat[off] = (float) loss;
    ReplicaChecks.requireFinite(rank, step, FloatBuffer.wrap(flat), grads);
    long t0 = System.nanoTime();
    ring.average(step, flat);
    commNanos += System.nanoTime() - t0;
    off = 0;
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      NDArray g = e.getValue();
      int len = Math.toIntExact(g.size());
      float[] part = new float[len];
      System.arraycopy(flat, off, part, 0, len);
      off += len;
      e.setValue(g.getManager().create(part, g.getShape()));
    }
    return flat[off];
  }

  @Override
  public void check(long step, Trainer trainer) {
    commNanos += ReplicaChecks.checksumRound(control, checksumInterval, step, trainer);
  }

  @Override
  public void publish(long step, String metricsLine) {
    control.metrics(step, metricsLine);
  }

  /**
   * {@code bytes_sent}/{@code bytes_received} are this replica's ring traffic, {@code
   * driver_bytes_*} its control traffic with the driver (checksums only, between hello and bye).
   */
  @Override
  public Map<String, Object> windowMetrics(long stepNanos, int steps) {
    int k = Math.max(1, steps);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("replicas", world);
    m.put("transport", Transport.RING.configName());
    m.put("compute_ms", Math.max(0, stepNanos - commNanos) / 1e6 / k);
    m.put("comm_ms", commNanos / 1e6 / k);
    m.put("bytes_sent", (bytesSent() - lastSent) / k);
    m.put("bytes_received", (bytesReceived() - lastReceived) / k);
    m.put("driver_bytes_sent", (control.bytesSent() - lastDriverSent) / k);
    m.put("driver_bytes_received", (control.bytesReceived() - lastDriverReceived) / k);
    commNanos = 0;
    lastSent = bytesSent();
    lastReceived = bytesReceived();
    lastDriverSent = control.bytesSent();
    lastDriverReceived = control.bytesReceived();
    return m;
  }

  @Override
  public void close() {
    if (ring != null) {
      ring.close();
    }
  }
}
