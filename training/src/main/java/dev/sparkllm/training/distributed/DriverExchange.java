package dev.sparkllm.training.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sparkllm.training.GradientExchange;
import dev.sparkllm.training.Trainer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A replica's side of averaging through the driver's {@link GradientServer}: flattens the gradients
 * (plus the loss) into one buffer per step, sends it, and writes the average back.
 */
public final class DriverExchange implements GradientExchange {
  private final GradientClient client;
  private final int rank;
  private final int world;
  private final int checksumInterval;
  private long commNanos;
  private long lastSent;
  private long lastReceived;
  private ByteBuffer inbox;

  public DriverExchange(GradientClient client, int rank, int world, int checksumInterval) {
    this.client = client;
    this.rank = rank;
    this.world = world;
    this.checksumInterval = checksumInterval;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int world() {
    return world;
  }

  @Override
  public double reduce(long step, double loss, Map<String, NDArray> grads) {
    NDManager scope = grads.values().iterator().next().getManager();
    NDList parts = new NDList(grads.size() + 1);
    long[] splits = new long[grads.size()];
    long n = 0;
    int i = 0;
    for (NDArray g : grads.values()) {
      parts.add(g.flatten());
      n += g.size();
      splits[i++] = n;
    }
    parts.add(scope.create(new float[] {(float) loss}));
    // One native concatenation and one bulk copy: per-parameter float[]s and NDArrays from heap
    // arrays cost a replica a quarter of its compute (multi-megabyte arrays every step kept G1 in
    // humongous-allocation collections; see docs/distributed-training.md, "Part 0").
    NDArray flat = NDArrays.concat(parts);
    FloatBuffer values = flat.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    // Each rank checks its own, so an average of checked inputs needs no second scan: only an
    // overflow could make it non-finite, and the gradient-norm check reports that.
    ReplicaChecks.requireFinite(rank, step, values, grads);
    long t0 = System.nanoTime();
    FloatBuffer avg = client.average(step, values, inbox(Math.toIntExact(n + 1)));
    commNanos += System.nanoTime() - t0;
    float mean = avg.get(Math.toIntExact(n));
    // The average is copied into native memory the step owns: nothing outside this call aliases
    // the reused inbox.
    NDArray all;
    try (NDArray view = scope.create(inbox, new Shape(n + 1), DataType.FLOAT32)) {
      all = view.duplicate();
    }
    NDList pieces = all.split(splits);
    i = 0;
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      e.setValue(pieces.get(i++).reshape(e.getValue().getShape()));
    }
    return mean;
  }

  /** The direct buffer the average lands in, allocated once per run (not per step). */
  private ByteBuffer inbox(int values) {
    if (inbox == null || inbox.capacity() != values * 4) {
      inbox = ByteBuffer.allocateDirect(values * 4).order(ByteOrder.nativeOrder());
    }
    inbox.clear();
    return inbox;
  }

  @Override
  public void check(long step, Trainer trainer) {
    commNanos += ReplicaChecks.checksumRound(client, checksumInterval, step, trainer);
  }

  @Override
  public void publish(long step, String metricsLine) {
    client.metrics(step, metricsLine);
  }

  @Override
  public Map<String, Object> windowMetrics(long stepNanos, int steps) {
    int k = Math.max(1, steps);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("replicas", world);
    m.put("compute_ms", Math.max(0, stepNanos - commNanos) / 1e6 / k);
    m.put("comm_ms", commNanos / 1e6 / k);
    m.put("bytes_sent", (client.bytesSent() - lastSent) / k);
    m.put("bytes_received", (client.bytesReceived() - lastReceived) / k);
    commNanos = 0;
    lastSent = client.bytesSent();
    lastReceived = client.bytesReceived();
    return m;
  }
}
