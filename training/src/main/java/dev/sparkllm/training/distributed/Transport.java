package dev.sparkllm.training.distributed;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.Locale;

/**
 * Which wires the gradients take ({@code training.distributed.transport}): through the driver's
 * {@link GradientServer}, or a ring all-reduce among the replicas ({@link RingExchange}) with the
 * driver as coordinator only.
 */
public enum Transport {
  DRIVER,
  RING;

  /** Parses the config value; the one place a bad transport is reported. */
  public static Transport parse(String value) {
    for (Transport t : values()) {
      if (t.configName().equals(value)) {
        return t;
      }
    }
    throw new SparkLlmException(
        "training.distributed.transport must be driver or ring, got '" + value + "'");
  }

  /** The name in configs and reports: {@code driver}, {@code ring}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return configName();
  }

  /**
   * The transport keys of the {@code training.distributed} section, checked once.
   *
   * @param ringPort first port a ring peer tries to listen on; 0 = any free port
   */
  public record Options(Transport transport, int ringPort) implements Serializable {
    /** Ports a replica tries from {@code ring_port} on (one per task slot of an executor). */
    public static final int RING_PORT_SPAN = 16;

    public Options {
      if (ringPort < 0 || ringPort > 65535 - RING_PORT_SPAN) {
        throw new SparkLlmException(
            "training.distributed.ring_port must be 0 (any free port) or a port from 1 to "
                + (65535 - RING_PORT_SPAN)
                + ", got "
                + ringPort);
      }
    }

    public static Options fromConfig(Config d) {
      return new Options(parse(d.getString("transport")), d.getInt("ring_port"));
    }
  }
}
