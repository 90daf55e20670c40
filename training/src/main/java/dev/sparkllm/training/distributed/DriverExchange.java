package dev.sparkllm.training.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.GradientExchange;
import dev.sparkllm.training.Trainer;
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
    // Each rank checks its own, so an average of checked inputs needs no second scan: only an
    // overflow could make it non-finite, and the gradient-norm check reports that.
    checkFinite(step, flat, grads);
    long t0 = System.nanoTime();
    float[] avg = client.average(step, flat);
    commNanos += System.nanoTime() - t0;
    off = 0;
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      NDArray g = e.getValue();
      int len = Math.toIntExact(g.size());
      float[] part = new float[len];
      System.arraycopy(avg, off, part, 0, len);
      off += len;
      e.setValue(g.getManager().create(part, g.getShape()));
    }
    return avg[off];
  }

  /**
   * A non-finite gradient from this rank's backward names its parameter and rank, instead of
   * surfacing later as a NaN gradient norm on every rank.
   */
  private void checkFinite(long step, float[] flat, Map<String, NDArray> grads) {
    int off = 0;
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      int len = Math.toIntExact(e.getValue().size());
      for (int i = off; i < off + len; i++) {
        if (!Float.isFinite(flat[i])) {
          throw new SparkLlmException(
              String.format(
                  "rank %d: gradient of %s[%d] is %s at step %d, from its own"
                      + " forward/backward (before averaging); training diverged (lower"
                      + " training.learning_rate or set training.grad_clip)",
                  rank, e.getKey(), i - off, flat[i], step));
        }
      }
      off += len;
    }
  }

  @Override
  public void check(long step, Trainer trainer) {
    if (checksumInterval <= 0 || step % checksumInterval != 0) {
      return;
    }
    double sum = 0;
    // The trained parameters: frozen ones (a LoRA base) cannot drift apart.
    for (Parameter p : trainer.trainable().values()) {
      for (float v : p.getArray().toFloatArray()) {
        sum += v;
      }
    }
    long t0 = System.nanoTime();
    client.checksum(step, sum);
    commNanos += System.nanoTime() - t0;
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
