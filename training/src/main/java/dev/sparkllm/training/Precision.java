package dev.sparkllm.training;

import ai.djl.ndarray.types.DataType;
import dev.sparkllm.core.SparkLlmException;
import java.util.Locale;

/** {@code training.precision}: the compute type of forward and backward (weights stay fp32). */
public enum Precision {
  FP32(DataType.FLOAT32),
  /** Half-precision copies of the weights, fp32 master weights, dynamic loss scaling (GPU). */
  FP16(DataType.FLOAT16),
  BF16(DataType.BFLOAT16);

  private final DataType computeType;

  Precision(DataType computeType) {
    this.computeType = computeType;
  }

  /**
   * Parses the config value. bf16 is refused here, the one place: verified on these machines, DJL
   * 0.35's PyTorch JNI aborts the whole JVM ("terminate called without an active exception") on
   * {@code NDArray.toType(BFLOAT16)}, so no code path may reach a bf16 cast. The cause is in DJL's
   * native code: its dtype table ({@code GetScalarTypeFromDType} in {@code djl_pytorch_utils.h})
   * has no bfloat16 entry and ends in a bare {@code throw;}, so any JNI call that passes bf16 as a
   * dtype terminates. DJL 0.36.0 leaves the PyTorch engine unchanged (its diff to 0.35.0 touches no
   * engine source), so upgrading does not lift this.
   */
  public static Precision parse(String value) {
    Precision p =
        switch (value) {
          case "fp32" -> FP32;
          case "fp16" -> FP16;
          case "bf16" -> BF16;
          default ->
              throw new SparkLlmException(
                  "training.precision must be fp32, bf16 or fp16, got '" + value + "'");
        };
    if (p == BF16) {
      throw new SparkLlmException(
          "training.precision=bf16 is not supported with DJL 0.35 (its PyTorch bridge crashes on"
              + " bfloat16 casts); use training.precision=fp16 on a GPU, or fp32");
    }
    return p;
  }

  public DataType computeType() {
    return computeType;
  }

  /** Half precision needs half-precision weight copies and, on CPU, is refused (GPU only). */
  public boolean isHalf() {
    return this != FP32;
  }

  /** fp16's narrow range needs a dynamic loss scale; bf16 and fp32 do not. */
  public boolean scalesLoss() {
    return this == FP16;
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return configName();
  }
}
