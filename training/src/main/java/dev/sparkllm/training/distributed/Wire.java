package dev.sparkllm.training.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The gradient service's frames: a fixed header {magic, version, kind, rank, step, dtype, count,
 * payload bytes} (big-endian, DataOutput) followed by the payload: float32 little-endian, bf16
 * (upper 16 bits of the fp32 pattern, round to nearest even), a float64 checksum or UTF-8 text.
 */
final class Wire {
  static final int MAGIC = 0x53504C47; // "SPLG"
  static final byte VERSION = 1;

  /** Frame kinds. */
  static final byte HELLO = 0;

  static final byte GRADS = 1;
  static final byte CHECKSUM = 2;
  static final byte AVERAGE = 3;
  static final byte OK = 4;
  static final byte ERROR = 5;

  /** A rank finished training and closes its connection on purpose. */
  static final byte BYE = 6;

  /** Rank 0's metrics line of a step (JSON text), for the driver's log; not answered. */
  static final byte METRICS = 7;

  /** Payload types. */
  static final byte FP32 = 0;

  static final byte BF16 = 1;
  static final byte FP64 = 2;
  static final byte TEXT = 3;

  static final int HEADER_BYTES = 4 + 1 + 1 + 4 + 8 + 1 + 4 + 4;

  /** Longest text frame (an error or a metrics line); longer ones are malformed. */
  static final int MAX_TEXT = 1 << 16;

  private Wire() {}

  /** A frame's fixed part, read and checked before its payload is allocated. */
  record Header(byte kind, int rank, long step, byte dtype, int count, int length) {}

  record Frame(byte kind, int rank, long step, byte dtype, int count, byte[] payload) {
    int bytes() {
      return HEADER_BYTES + payload.length;
    }

    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    double checksum() {
      return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getDouble();
    }

    float[] floats() {
      return decode(dtype, count, payload);
    }

    /** The values decoded into {@code out} (reused across steps), positioned at 0. */
    float[] floats(float[] out) {
      float[] into = out != null && out.length == count ? out : new float[count];
      decode(dtype, count, payload, FloatBuffer.wrap(into));
      return into;
    }
  }

  /** Returns the frame's size on the wire. */
  static int write(
      DataOutputStream out, byte kind, int rank, long step, byte dtype, int count, byte[] payload)
      throws IOException {
    out.writeInt(MAGIC);
    out.writeByte(VERSION);
    out.writeByte(kind);
    out.writeInt(rank);
    out.writeLong(step);
    out.writeByte(dtype);
    out.writeInt(count);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
    return HEADER_BYTES + payload.length;
  }

  static int writeText(DataOutputStream out, byte kind, int rank, long step, String text)
      throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_TEXT) {
      b = java.util.Arrays.copyOf(b, MAX_TEXT);
    }
    return write(out, kind, rank, step, TEXT, b.length, b);
  }

  /** Reads a frame whose values may number up to {@code maxValues}, allocating nothing more. */
  static Frame read(DataInputStream in, int maxValues) throws IOException {
    return read(in, maxValues, null);
  }

  /**
   * Reads a frame, refusing before any allocation a header whose length does not fit its kind,
   * dtype and {@code maxValues}; the payload reuses {@code reuse} when it has the frame's length.
   */
  static Frame read(DataInputStream in, int maxValues, byte[] reuse) throws IOException {
    Header h = readHeader(in);
    String bad = invalid(h, maxValues);
    if (bad != null) {
      throw new MalformedFrameException(bad);
    }
    byte[] payload = reuse != null && reuse.length == h.length() ? reuse : new byte[h.length()];
    in.readFully(payload);
    return new Frame(h.kind(), h.rank(), h.step(), h.dtype(), h.count(), payload);
  }

  /** A frame that breaks the protocol: its sender is dropped, never waited for. */
  static final class MalformedFrameException extends IOException {
    MalformedFrameException(String message) {
      super(message);
    }
  }

  /** Why a frame with header {@code h} cannot be valid, or null when it can. */
  static String invalid(Header h, int maxValues) {
    int length = h.length();
    boolean ok =
        switch (h.kind()) {
          case GRADS, AVERAGE ->
              (h.dtype() == FP32 || h.dtype() == BF16)
                  && h.count() >= 1
                  && h.count() <= maxValues
                  && length == (long) h.count() * (h.dtype() == FP32 ? 4 : 2);
          case CHECKSUM -> h.dtype() == FP64 && h.count() == 1 && length == 8;
          case HELLO, OK, BYE -> h.dtype() == TEXT && length == 0;
          case ERROR, METRICS -> h.dtype() == TEXT && length <= MAX_TEXT && h.count() == length;
          default -> false;
        };
    return ok
        ? null
        : String.format(
            "frame kind %d dtype %d with %d values in %d bytes does not fit the protocol (at most"
                + " %d values)",
            h.kind(), h.dtype(), h.count(), length, maxValues);
  }

  static Header readHeader(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new MalformedFrameException(
          String.format("not a spark-llm gradient frame (magic 0x%08x)", magic));
    }
    byte version = in.readByte();
    if (version != VERSION) {
      throw new MalformedFrameException(
          "gradient protocol version " + version + ", expected " + VERSION);
    }
    byte kind = in.readByte();
    int rank = in.readInt();
    long step = in.readLong();
    byte dtype = in.readByte();
    int count = in.readInt();
    int length = in.readInt();
    if (length < 0 || count < 0) {
      throw new MalformedFrameException("bad frame length " + length + " / count " + count);
    }
    return new Header(kind, rank, step, dtype, count, length);
  }

  static byte[] encode(byte dtype, float[] values) {
    return encode(dtype, FloatBuffer.wrap(values), null);
  }

  /**
   * The payload of {@code values} (position to limit), written into {@code reuse} when it has the
   * payload's length: a replica sends the same size every step, and a fresh multi-megabyte array
   * per step kept the garbage collector busy enough to slow the replica's compute.
   */
  static byte[] encode(byte dtype, FloatBuffer values, byte[] reuse) {
    int n = values.remaining();
    int length = n * (dtype == FP32 ? 4 : 2);
    byte[] out = reuse != null && reuse.length == length ? reuse : new byte[length];
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == FP32) {
      b.asFloatBuffer().put(values);
    } else {
      for (int i = 0; i < n; i++) {
        b.putShort(toBf16(values.get()));
      }
    }
    return out;
  }

  static float[] decode(byte dtype, int count, byte[] payload) {
    float[] out = new float[count];
    decode(dtype, count, payload, FloatBuffer.wrap(out));
    return out;
  }

  /** Decodes {@code count} values of {@code payload} into {@code out} at its position. */
  static void decode(byte dtype, int count, byte[] payload, FloatBuffer out) {
    int size = dtype == FP32 ? 4 : dtype == BF16 ? 2 : -1;
    if (size < 0 || payload.length != (long) count * size) {
      throw new IllegalArgumentException(
          "payload of " + payload.length + " bytes does not hold " + count + " values");
    }
    ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == FP32) {
      out.put(b.asFloatBuffer());
    } else {
      for (int i = 0; i < count; i++) {
        out.put(fromBf16(b.getShort()));
      }
    }
  }

  static byte[] encodeChecksum(double v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array();
  }

  /** fp32 → bf16 with round-to-nearest-even; NaN stays a (quiet) NaN. */
  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  static float fromBf16(short h) {
    return Float.intBitsToFloat((h & 0xFFFF) << 16);
  }
}
