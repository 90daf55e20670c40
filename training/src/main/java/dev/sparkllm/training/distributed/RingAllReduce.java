package dev.sparkllm.training.distributed;

import dev.sparkllm.core.SparkLlmException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Bandwidth-optimal ring averaging of one flat buffer: reduce-scatter, then all-gather, over N
 * chunks (rank r ends the reduce-scatter owning chunk r + 1), each chunk cut into sub-chunks so a
 * sub-chunk travels on as soon as it arrived: a sender thread writes while the calling thread reads
 * and adds. Each replica sends 2·(N−1) chunks, 2·(N−1)/N·P values when N divides P, plus one {@link
 * #HEADER_BYTES} header per sub-chunk.
 *
 * <p>Deterministic: chunk c is summed in the fixed order c, c+1, …, c−1 (fp32), divided by N by its
 * owner and copied, bit for bit, to everyone, so every replica gets the same bits, run after run.
 * With bf16 on the wire the owner rounds its own copy too, for the same reason.
 *
 * <p>Frames carry {magic, kind, step, offset, count}; the receiver knows which sub-chunk comes next
 * and refuses any other before reading its payload into a buffer sized by itself.
 */
final class RingAllReduce implements AutoCloseable {
  static final int MAGIC = 0x53504C44; // "SPLD"
  static final byte DATA = 1;

  /** A rank gives up: {offset = -1, count = the rank it lost}, so the whole ring names it. */
  static final byte ABORT = 2;

  /** magic, kind, step, offset, count */
  static final int HEADER_BYTES = 4 + 1 + 8 + 4 + 4;

  /** How long a rank that cannot send waits for the ring to tell it who was lost. */
  static final long ABORT_GRACE_MS = 10_000;

  /** Sub-chunk size on the wire. */
  static final int SUB_CHUNK_BYTES = 1 << 20;

  private final RingLinks links;
  private final WireDtype wire;
  private final int subValues;
  private final BlockingQueue<Object> outbox = new LinkedBlockingQueue<>();
  private final Thread sender;
  private final long timeoutMs;
  private volatile IOException sendFailure;
  private byte[] recv = new byte[0];
  private long bytesSent;
  private long bytesReceived;
  private long step;

  RingAllReduce(RingLinks links, WireDtype wire, int subValues, long timeoutMs) {
    this.links = links;
    this.wire = wire;
    this.subValues = subValues;
    this.timeoutMs = timeoutMs;
    OutputStream out = links.out;
    this.sender = new Thread(() -> send(out), "ring-sender-" + links.rank);
    sender.setDaemon(true);
    sender.start();
  }

  long bytesSent() {
    return bytesSent;
  }

  long bytesReceived() {
    return bytesReceived;
  }

  /** Replaces {@code flat} by its average over the ring; every replica calls it at {@code step}. */
  void average(long step, float[] flat) {
    int n = links.world;
    if (n == 1) {
      return;
    }
    this.step = step;
    int r = links.rank;
    int p = flat.length;
    // Reduce-scatter step k: send chunk r-k, receive chunk r-k-1 and add; after N-1 steps this
    // rank holds the sum of chunk r+1. All-gather step k: send chunk r+1-k, receive chunk r-k.
    forEachSub(p, n, Math.floorMod(r, n), (off, len) -> enqueue(flat, off, len));
    for (int k = 0; k < n - 1; k++) {
      boolean last = k == n - 2;
      forEachSub(
          p,
          n,
          Math.floorMod(r - k - 1, n),
          (off, len) -> {
            receive(off, len);
            accumulate(flat, off, len, last ? n : 0);
            enqueue(flat, off, len);
          });
    }
    for (int k = 0; k < n - 1; k++) {
      boolean forward = k < n - 2;
      forEachSub(
          p,
          n,
          Math.floorMod(r - k, n),
          (off, len) -> {
            receive(off, len);
            decode(flat, off, len);
            if (forward) {
              enqueue(flat, off, len);
            }
          });
    }
    drain();
  }

  /** Exact bytes {@code rank} sends per average of {@code p} values (and receives, by symmetry). */
  static long bytesPerAverage(long p, int world, int rank, WireDtype wire, int subValues) {
    if (world == 1) {
      return 0;
    }
    long total = 0;
    for (int k = 0; k < world - 1; k++) {
      total += chunkBytes(p, world, Math.floorMod(rank - k, world), wire, subValues);
      total += chunkBytes(p, world, Math.floorMod(rank + 1 - k, world), wire, subValues);
    }
    return total;
  }

  private static long chunkBytes(long p, int world, int c, WireDtype wire, int subValues) {
    long len = p * (c + 1) / world - p * c / world;
    long subs = (len + subValues - 1) / subValues;
    return subs * HEADER_BYTES + len * wire.bytesPerValue();
  }

  private interface SubChunk {
    void accept(int offset, int length) throws IOException;
  }

  private void forEachSub(int p, int n, int chunk, SubChunk body) {
    int start = (int) ((long) p * chunk / n);
    int end = (int) ((long) p * (chunk + 1) / n);
    try {
      for (int off = start; off < end; off += subValues) {
        body.accept(off, Math.min(subValues, end - off));
      }
    } catch (IOException e) {
      throw lost(e);
    }
  }

  private SparkLlmException lost(IOException e) {
    IOException cause = sendFailure != null ? sendFailure : e;
    int from;
    String why;
    if (e instanceof PeerLost p) {
      from = p.rank;
      why = "reported by rank " + prevRank();
    } else {
      from = sendFailure != null ? (links.rank + 1) % links.world : prevRank();
      why =
          cause instanceof SocketTimeoutException
              ? "no data for " + timeoutMs / 1000.0 + " s"
              : cause.toString();
    }
    abort(from);
    return new SparkLlmException(
        "ring: rank "
            + from
            + " lost at step "
            + step
            + " (seen by rank "
            + links.rank
            + ": "
            + why
            + "); the barrier stage fails and a retry resumes from checkpoints/latest",
        cause);
  }

  /** A predecessor's {@link #ABORT}: the rank the ring lost, as first seen. */
  private static final class PeerLost extends IOException {
    final int rank;

    PeerLost(int rank) {
      super("rank " + rank + " lost");
      this.rank = rank;
    }
  }

  /**
   * Tells the successor which rank was lost (best effort, briefly), then closes the ring: the
   * successor fails at once naming the same rank, instead of waiting or blaming this one.
   */
  private void abort(int lostRank) {
    if (sendFailure == null && lostRank != (links.rank + 1) % links.world) {
      byte[] frame =
          ByteBuffer.allocate(HEADER_BYTES)
              .putInt(MAGIC)
              .put(ABORT)
              .putLong(step)
              .putInt(-1)
              .putInt(lostRank)
              .array();
      CountDownLatch done = new CountDownLatch(1);
      outbox.add(frame);
      outbox.add(done);
      try {
        done.await(Math.min(timeoutMs, 2000), TimeUnit.MILLISECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
    close();
  }

  private int prevRank() {
    return (links.rank + links.world - 1) % links.world;
  }

  /** Reads the next sub-chunk's frame into {@link #recv}, refusing any frame but the expected. */
  private void receive(int off, int len) throws IOException {
    DataInputStream in = links.in;
    int magic = in.readInt();
    byte kind = in.readByte();
    long s = in.readLong();
    int o = in.readInt();
    int c = in.readInt();
    if (magic == MAGIC && kind == ABORT && o == -1 && c >= 0 && c < links.world) {
      throw new PeerLost(c);
    }
    if (magic != MAGIC || kind != DATA || s != step || o != off || c != len) {
      throw new IOException(
          String.format(
              "unexpected ring frame (magic 0x%08x, kind %d, step %d, offset %d, count %d;"
                  + " expected step %d, offset %d, count %d)",
              magic, kind, s, o, c, step, off, len));
    }
    int bytes = len * wire.bytesPerValue();
    if (recv.length < bytes) {
      recv = new byte[bytes];
    }
    in.readFully(recv, 0, bytes);
    bytesReceived += HEADER_BYTES + bytes;
  }

  /** Adds the received partial sum into {@code flat}; the owner ({@code divide} = N) averages. */
  private void accumulate(float[] flat, int off, int len, int divide) {
    ByteBuffer b = ByteBuffer.wrap(recv).order(ByteOrder.LITTLE_ENDIAN);
    boolean fp32 = wire == WireDtype.FP32;
    for (int i = 0; i < len; i++) {
      float partial = fp32 ? b.getFloat(4 * i) : Wire.fromBf16(b.getShort(2 * i));
      float v = partial + flat[off + i];
      if (divide > 0) {
        v /= divide;
        if (!fp32) {
          v = Wire.fromBf16(Wire.toBf16(v)); // what the others will receive
        }
      }
      flat[off + i] = v;
    }
  }

  private void decode(float[] flat, int off, int len) {
    ByteBuffer b = ByteBuffer.wrap(recv).order(ByteOrder.LITTLE_ENDIAN);
    if (wire == WireDtype.FP32) {
      b.asFloatBuffer().get(flat, off, len);
    } else {
      for (int i = 0; i < len; i++) {
        flat[off + i] = Wire.fromBf16(b.getShort(2 * i));
      }
    }
  }

  /** Copies a sub-chunk into a frame for the sender thread (the caller overwrites it later). */
  private void enqueue(float[] flat, int off, int len) throws IOException {
    if (sendFailure != null) {
      return; // the reader will learn who was lost (see send)
    }
    ByteBuffer b =
        ByteBuffer.allocate(HEADER_BYTES + len * wire.bytesPerValue())
            .order(ByteOrder.BIG_ENDIAN)
            .putInt(MAGIC)
            .put(DATA)
            .putLong(step)
            .putInt(off)
            .putInt(len)
            .order(ByteOrder.LITTLE_ENDIAN);
    if (wire == WireDtype.FP32) {
      b.asFloatBuffer().put(flat, off, len);
    } else {
      for (int i = 0; i < len; i++) {
        b.putShort(HEADER_BYTES + 2 * i, Wire.toBf16(flat[off + i]));
      }
    }
    byte[] frame = b.array();
    bytesSent += frame.length;
    outbox.add(frame);
  }

  /** Waits until the sender wrote everything of this round, so a failure surfaces in its step. */
  private void drain() {
    CountDownLatch done = new CountDownLatch(1);
    outbox.add(done);
    try {
      if (!done.await(timeoutMs, TimeUnit.MILLISECONDS) && sendFailure == null) {
        sendFailure = new SocketTimeoutException("send timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SparkLlmException("ring: rank " + links.rank + " interrupted at step " + step, e);
    }
    if (sendFailure != null) {
      throw lost(sendFailure);
    }
  }

  private void send(OutputStream out) {
    while (true) {
      Object item;
      try {
        item = outbox.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      // After a failure frames are dropped but latches still released, so no one waits.
      try {
        if (item instanceof byte[] frame) {
          if (sendFailure == null) {
            out.write(frame);
          }
        } else if (item instanceof CountDownLatch latch) {
          if (sendFailure == null) {
            out.flush();
          }
          latch.countDown();
        } else {
          return; // close()
        }
      } catch (IOException e) {
        sendFailure = e;
        if (item instanceof CountDownLatch latch) {
          latch.countDown();
        }
        // The successor is gone, or failed itself and closed. Which one the reader learns from
        // the ABORT that comes round the ring; only if none comes is the successor blamed.
        Thread grace =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(Math.min(timeoutMs, ABORT_GRACE_MS));
                  } catch (InterruptedException ie) {
                    return;
                  }
                  links.close();
                },
                "ring-grace-" + links.rank);
        grace.setDaemon(true);
        grace.start();
      }
    }
  }

  @Override
  public void close() {
    outbox.add(Boolean.FALSE);
    links.close();
  }
}
