package dev.sparkllm.jobs.bench;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The command-line options of {@code benchmark distributed} (a picocli mixin); {@link #toOptions}
 * checks them and parses the per-preset and wire values once.
 */
public final class DistributedArgs {
  private static final String D = "distributed: ";

  @Option(
      names = "--presets",
      defaultValue = "tiny,mini",
      split = ",",
      description = D + "model presets to train (default ${DEFAULT-VALUE}; none: skip training).")
  List<String> presets;

  @Option(
      names = "--replicas",
      defaultValue = "1,2",
      split = ",",
      description = D + "replica counts to train with (default ${DEFAULT-VALUE}).")
  List<Integer> replicas;

  @Option(
      names = "--wire",
      defaultValue = "fp32,bf16",
      split = ",",
      description = D + "gradient types on the wire for the training runs.")
  List<String> wires;

  @Option(
      names = "--steps",
      defaultValue = "tiny=20,mini=5,gpt2=2",
      description =
          D + "timed optimizer steps per run, N or preset=N,... (default ${DEFAULT-VALUE}).")
  String steps;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = D + "untimed first steps per run (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--batch",
      defaultValue = "tiny=4,mini=1,gpt2=1",
      description = D + "sequences per replica step, N or preset=N,... (default ${DEFAULT-VALUE}).")
  String batch;

  @Option(
      names = "--seq",
      defaultValue = "tiny=128,mini=128,gpt2=128",
      description = D + "tokens per sequence (capped at the context), N or preset=N,...")
  String seq;

  @Option(
      names = "--vocab",
      defaultValue = "8192",
      description = D + "vocabulary of the random tokens (default ${DEFAULT-VALUE}).")
  int vocab;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = D + "PyTorch threads per replica (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(
      names = "--micro-sizes",
      defaultValue = "tiny,mini,gpt2",
      split = ",",
      description =
          D
              + "buffer sizes for the averaging service alone, preset names or parameter counts"
              + " (default ${DEFAULT-VALUE}; none: skip).")
  List<String> microSizes;

  @Option(
      names = "--micro-replicas",
      defaultValue = "1,2",
      split = ",",
      description = D + "client counts for the averaging service alone (default ${DEFAULT-VALUE}).")
  List<Integer> microReplicas;

  @Option(
      names = "--micro-rounds",
      defaultValue = "3",
      description = D + "least timed exchange rounds per case (default ${DEFAULT-VALUE}).")
  int microRounds;

  @Option(
      names = "--micro-seconds",
      defaultValue = "1",
      description = D + "least timed seconds per exchange case (default ${DEFAULT-VALUE}).")
  double microSeconds;

  /** The checked options; {@code seed} is the command's, shared with the other benchmark. */
  public DistributedBenchOptions toOptions(long seed) {
    return new DistributedBenchOptions(
        presets,
        replicas,
        DistributedBenchOptions.parseWires(wires),
        DistributedBenchOptions.parsePerPreset("--steps", steps),
        warmup,
        DistributedBenchOptions.parsePerPreset("--batch", batch),
        DistributedBenchOptions.parsePerPreset("--seq", seq),
        vocab,
        threads,
        microSizes,
        microReplicas,
        microRounds,
        microSeconds,
        seed);
  }
}
