package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import java.util.Locale;

/** {@code training.device}: where replicas compute. */
public enum DeviceKind {
  /** A GPU when PyTorch sees one (or Spark gives the task one), else the CPU. */
  AUTO,
  CPU,
  GPU;

  public static DeviceKind parse(String value) {
    for (DeviceKind k : values()) {
      if (k.configName().equals(value)) {
        return k;
      }
    }
    throw new SparkLlmException("training.device must be auto, cpu or gpu, got '" + value + "'");
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return configName();
  }
}
