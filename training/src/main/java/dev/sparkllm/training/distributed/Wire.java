package dev.sparkllm.training.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  /** Refuse absurd lengths from a foreign client rather than allocating them. */
  static final int MAX_PAYLOAD = Integer.MAX_VALUE - 64;

  private Wire() {}

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
    return write(out, kind, rank, step, TEXT, b.length, b);
  }

  static Frame read(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("not a spark-llm gradient frame (magic 0x%08x)", magic));
    }
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("gradient protocol version " + version + ", expected " + VERSION);
    }
    byte kind = in.readByte();
    int rank = in.readInt();
    long step = in.readLong();
    byte dtype = in.readByte();
    int count = in.readInt();
    int length = in.readInt();
    if (length < 0 || length > MAX_PAYLOAD || count < 0) {
      throw new IOException("bad frame length " + length + " / count " + count);
    }
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame(kind, rank, step, dtype, count, payload);
  }

  static byte[] encode(byte dtype, float[] values) {
    if (dtype == FP32) {
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      return b.array();
    }
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putShort(toBf16(v));
    }
    return b.array();
  }

  static float[] decode(byte dtype, int count, byte[] payload) {
    int size = dtype == FP32 ? 4 : dtype == BF16 ? 2 : -1;
    if (size < 0 || payload.length != (long) count * size) {
      throw new IllegalArgumentException(
          "payload of " + payload.length + " bytes does not hold " + count + " values");
    }
    float[] out = new float[count];
    ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == FP32) {
      b.asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < count; i++) {
        out[i] = fromBf16(b.getShort());
      }
    }
    return out;
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
