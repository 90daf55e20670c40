package dev.sparkllm.training.distributed;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.time.Duration;

/**
 * The {@code training.distributed} config section, typed and checked once. See conf/defaults.yaml
 * for each key.
 *
 * @param replicas replica count; 0 = one replica on the driver, {@link #AUTO} = one per task slot
 * @param timeout how late a rank may be before a step's exchange fails
 * @param checksumInterval compare parameters across replicas every N steps; 0 = never
 * @param port the driver's gradient-service port; 0 = any free port
 */
public record DistributedOptions(
    int replicas, WireDtype wire, Duration timeout, int checksumInterval, int port)
    implements Serializable {

  /** {@code replicas} value (CLI: {@code --replicas auto}): every task slot. */
  public static final int AUTO = -1;

  public DistributedOptions {
    if (replicas < AUTO) {
      throw new SparkLlmException(
          "training.distributed.replicas must be a count >= 1, 0 (one replica on the driver) or"
              + " -1 (one per task slot), got "
              + replicas);
    }
  }

  public static DistributedOptions fromConfig(Config d) {
    return new DistributedOptions(
        d.getInt("replicas"),
        WireDtype.parse(d.getString("wire_dtype")),
        Duration.ofMillis((long) (d.getDouble("timeout_s") * 1000)),
        d.getInt("checksum_interval"),
        d.getInt("port"));
  }
}
