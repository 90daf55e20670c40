package dev.sparkllm.training.distributed;

import dev.sparkllm.core.SparkLlmException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;

/** A replica's connection to the driver's {@link GradientServer}; one exchange at a time. */
public final class GradientClient implements AutoCloseable {
  private final String address;
  private final int rank;
  private final byte dtype;
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private long bytesSent;
  private long bytesReceived;
  private byte[] sendBuffer;
  private byte[] receiveBuffer;

  /**
   * @param attempt the barrier stage's attempt number: a newer attempt replaces an older one
   * @param wireDtype how gradients travel
   * @param auth proves this replica belongs to the run (the service drops it otherwise)
   */
  public GradientClient(
      String host,
      int port,
      int rank,
      int world,
      int attempt,
      WireDtype wireDtype,
      Duration timeout,
      PeerAuth auth) {
    this.address = host + ":" + port;
    this.rank = rank;
    this.dtype = wireDtype.code();
    this.socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), (int) Math.min(timeout.toMillis(), 60_000));
      socket.setTcpNoDelay(true);
      // The server's watchdog reports a missing rank after the timeout; this is the backstop for a
      // driver that vanished.
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis() * 2 + 10_000));
      PeerAuth.Channel channel = auth.client(socket);
      in = new DataInputStream(new BufferedInputStream(channel.in(), 1 << 16));
      out = new DataOutputStream(new BufferedOutputStream(channel.out(), 1 << 16));
      bytesSent += Wire.write(out, Wire.HELLO, rank, attempt, Wire.TEXT, world, new byte[0]);
      expect(Wire.OK, -1, 0);
    } catch (IOException e) {
      close();
      throw new SparkLlmException(
          "rank "
              + rank
              + " cannot reach the driver's gradient service at "
              + address
              + " ("
              + e.getMessage()
              + "); check spark.driver.host and that executors can connect to the driver",
          e);
    }
  }

  public long bytesSent() {
    return bytesSent;
  }

  public long bytesReceived() {
    return bytesReceived;
  }

  /** Sends this rank's gradients of {@code step}; returns the average over all ranks. */
  public float[] average(long step, float[] grads) {
    float[] out = new float[grads.length];
    average(step, FloatBuffer.wrap(grads), FloatBuffer.wrap(out));
    return out;
  }

  /**
   * Sends {@code grads} (position to limit) as this rank's values of {@code step} and decodes the
   * average into {@code into} (from its position); returns {@code into} rewound to where it
   * started. Buffers are reused from step to step.
   */
  public FloatBuffer average(long step, FloatBuffer grads, FloatBuffer into) {
    int n = grads.remaining();
    try {
      sendBuffer = Wire.encode(dtype, grads, sendBuffer);
      bytesSent += Wire.write(out, Wire.GRADS, rank, step, dtype, n, sendBuffer);
      Wire.Frame f = expect(Wire.AVERAGE, step, n);
      if (f.count() != n) {
        throw new SparkLlmException("gradient service returned " + f.count() + " values for " + n);
      }
      receiveBuffer = f.payload();
      int start = into.position();
      Wire.decode(f.dtype(), n, receiveBuffer, into);
      return into.position(start);
    } catch (IOException e) {
      throw failed(step, e);
    }
  }

  /** {@link #average(long, FloatBuffer, FloatBuffer)} into a direct byte buffer of floats. */
  public FloatBuffer average(long step, FloatBuffer grads, ByteBuffer into) {
    return average(step, grads, into.asFloatBuffer());
  }

  /** Compares this rank's parameter checksum with the others'; throws on divergence. */
  public void checksum(long step, double sum) {
    try {
      bytesSent +=
          Wire.write(out, Wire.CHECKSUM, rank, step, Wire.FP64, 1, Wire.encodeChecksum(sum));
      expect(Wire.OK, step, 0);
    } catch (IOException e) {
      throw failed(step, e);
    }
  }

  /** Reads the answer, refusing one longer than {@code values} values before allocating it. */
  private Wire.Frame expect(byte kind, long step, int values) throws IOException {
    Wire.Frame f = Wire.read(in, Math.max(1, values), receiveBuffer);
    bytesReceived += f.bytes();
    if (f.kind() == Wire.ERROR) {
      throw new SparkLlmException("gradient service: " + f.text());
    }
    if (f.kind() != kind || (step >= 0 && f.step() != step)) {
      throw new SparkLlmException(
          "gradient service protocol error: rank "
              + rank
              + " expected kind "
              + kind
              + " for step "
              + step
              + ", got kind "
              + f.kind()
              + " for step "
              + f.step());
    }
    return f;
  }

  private SparkLlmException failed(long step, IOException e) {
    String why = e instanceof SocketTimeoutException ? "no answer (timeout)" : e.toString();
    return new SparkLlmException(
        "rank "
            + rank
            + " lost the gradient service at "
            + address
            + " during step "
            + step
            + ": "
            + why,
        e);
  }

  /**
   * Tells the service this rank is done, so closing the connection is not taken for a lost replica.
   * Call only after the last step; a rank that closes without it fails the others at once.
   */
  public void finish() {
    try {
      bytesSent += Wire.write(out, Wire.BYE, rank, -1, Wire.TEXT, 0, new byte[0]);
    } catch (IOException e) {
      // The service is gone; training is over anyway.
    }
  }

  /**
   * Sends a metrics line for the driver's log. Not counted in {@link #bytesSent()}, which measures
   * the gradient traffic.
   */
  public void metrics(long step, String json) {
    try {
      Wire.writeText(out, Wire.METRICS, rank, step, json);
    } catch (IOException e) {
      throw failed(step, e);
    }
  }

  /** Tells the service why this rank gives up, so the others fail with the reason at once. */
  public void abort(String reason) {
    try {
      bytesSent += Wire.writeText(out, Wire.ERROR, rank, -1, reason == null ? "" : reason);
    } catch (IOException e) {
      // The service is gone; the task fails anyway.
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }
}
