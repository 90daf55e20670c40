package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.sparkllm.training.distributed.WireDtype;

/**
 * One row of the training table in distributed-benchmark.json: the single-replica baseline, a
 * distributed run, or a configuration that was skipped or failed. Field names are the JSON keys.
 */
public sealed interface TrainingRow {
  /** What every measured run reports: medians over the timed steps, means and extremes too. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Measured(
      String preset,
      long parameters,
      String mode,
      int replicas,
      @JsonSerialize(using = ToStringSerializer.class) WireDtype wire,
      int batchPerReplica,
      int gradAccumSteps,
      int seqLen,
      long tokensPerStep,
      int timedSteps,
      double stepMs,
      double stepMsMean,
      double stepMsMin,
      double stepMsMax,
      double tokensPerS,
      double lastTrainLoss) {}

  /** A distributed run's split of the step into compute and gradient exchange. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Communication(
      double computeMs,
      double commMs,
      double computeMsMean,
      double commMsMean,
      double commShare,
      long bytesSentPerStep,
      long bytesReceivedPerStep,
      long bytesPerStepModel,
      // JSON has no Infinity: a run too short to time its exchange reports null.
      Double replicaMbPerS,
      Double driverMbPerS) {
    long bytesPerStep() {
      return bytesSentPerStep + bytesReceivedPerStep;
    }
  }

  /** The single-replica TrainJob every ratio of its preset is taken against. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Single(@JsonUnwrapped Measured run, double speedupVsSingle, double scalingEfficiency)
      implements TrainingRow {
    Single(Measured run) {
      this(run, 1.0, 1.0);
    }
  }

  /** A DistributedTrainJob run at one replica count and wire type. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Distributed(
      @JsonUnwrapped Measured run,
      @JsonUnwrapped Communication comm,
      double speedupVsSingle,
      double scalingEfficiency,
      // Null until a one-replica distributed run of this wire was measured.
      @JsonProperty("speedup_vs_distributed_1") Double speedupVsDistributed1,
      @JsonUnwrapped Setup setup,
      // Null unless the run crossed shaped links.
      @JsonUnwrapped LinkBytes linkBytes)
      implements TrainingRow {
    Distributed(
        Measured run,
        Communication comm,
        double speedupVsSingle,
        double scalingEfficiency,
        Double speedupVsDistributed1) {
      this(
          run,
          comm,
          speedupVsSingle,
          scalingEfficiency,
          speedupVsDistributed1,
          Setup.DEFAULT,
          null);
    }
  }

  /**
   * The link a run crossed and the scheme it ran, null where the config's own applied, and its
   * efficiency against one distributed replica of the same link, scheme and wire: the scaling
   * figure that leaves out what the machinery costs a single replica.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Setup(
      String link,
      String sync,
      Integer syncEvery,
      String transport,
      @JsonProperty("efficiency_vs_distributed_1") Double efficiencyVsDistributed1) {
    static final Setup DEFAULT = new Setup(null, null, null, null, null);
  }

  /**
   * Bytes the shaped ports counted during a whole run (warm-up steps and Spark's own traffic
   * included, TCP/IP headers too) per optimizer step: through the driver's port, and per replica
   * (all workers' ports over the replica count).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record LinkBytes(long driverLinkBytesPerStep, long replicaLinkBytesPerStep) {}

  /** A distributed configuration that did not produce numbers, and why. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record NotRun(
      String preset,
      String mode,
      int replicas,
      @JsonSerialize(using = ToStringSerializer.class) WireDtype wire,
      @JsonInclude(JsonInclude.Include.NON_NULL) String skipped,
      @JsonInclude(JsonInclude.Include.NON_NULL) String failed,
      @JsonUnwrapped Setup setup)
      implements TrainingRow {
    static NotRun skipped(String preset, int replicas, WireDtype wire, String why) {
      return new NotRun(preset, "distributed", replicas, wire, why, null, Setup.DEFAULT);
    }

    static NotRun failed(String preset, int replicas, WireDtype wire, String why) {
      return new NotRun(preset, "distributed", replicas, wire, null, why, Setup.DEFAULT);
    }

    NotRun with(Setup s) {
      return new NotRun(preset, mode, replicas, wire, skipped, failed, s);
    }
  }
}
