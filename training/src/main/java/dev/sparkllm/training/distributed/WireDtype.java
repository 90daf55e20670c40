package dev.sparkllm.training.distributed;

import dev.sparkllm.core.SparkLlmException;
import java.util.Locale;

/**
 * How gradients travel between replicas and the driver ({@code training.distributed.wire_dtype}):
 * fp32 exactly, or bf16 (half the bytes; the average is still accumulated in fp32).
 */
public enum WireDtype {
  FP32(Wire.FP32, 4),
  BF16(Wire.BF16, 2);

  private final byte code;
  private final int bytesPerValue;

  WireDtype(byte code, int bytesPerValue) {
    this.code = code;
    this.bytesPerValue = bytesPerValue;
  }

  /** Parses the config value; the one place a bad wire dtype is reported. */
  public static WireDtype parse(String value) {
    for (WireDtype d : values()) {
      if (d.configName().equals(value)) {
        return d;
      }
    }
    throw new SparkLlmException(
        "training.distributed.wire_dtype must be fp32 or bf16, got '" + value + "'");
  }

  /** The name in configs and reports: {@code fp32}, {@code bf16}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public int bytesPerValue() {
    return bytesPerValue;
  }

  /** Bytes of one frame carrying {@code values} numbers of this type, header included. */
  public long frameBytes(long values) {
    return Wire.HEADER_BYTES + bytesPerValue * values;
  }

  byte code() {
    return code;
  }

  @Override
  public String toString() {
    return configName();
  }
}
