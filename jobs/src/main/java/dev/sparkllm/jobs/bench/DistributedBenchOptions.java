package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.distributed.WireDtype;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code benchmark distributed} measures. Per-preset maps may hold "*" for every other preset;
 * "none" as the only preset or micro size runs only the other part.
 */
public record DistributedBenchOptions(
    List<String> presets,
    List<Integer> replicas,
    List<WireDtype> wires,
    Map<String, Integer> steps,
    int warmup,
    Map<String, Integer> batch,
    Map<String, Integer> seq,
    int vocab,
    int threads,
    List<String> microSizes,
    List<Integer> microReplicas,
    int microRounds,
    double microSeconds,
    long seed) {
  public DistributedBenchOptions {
    presets = presets.equals(List.of("none")) ? List.of() : List.copyOf(presets);
    microSizes = microSizes.equals(List.of("none")) ? List.of() : List.copyOf(microSizes);
    wires = List.copyOf(wires);
    if (warmup < 1) {
      // The first step also carries the connection handshake and cold kernels.
      throw new SparkLlmException("--warmup must be >= 1, got " + warmup);
    }
    if (microRounds < 1) {
      throw new SparkLlmException("--micro-rounds must be >= 1, got " + microRounds);
    }
    for (int n : replicas) {
      if (n < 1) {
        throw new SparkLlmException("--replicas must be >= 1, got " + n);
      }
    }
    for (int n : microReplicas) {
      if (n < 1) {
        throw new SparkLlmException("--micro-replicas must be >= 1, got " + n);
      }
    }
  }

  /** The --wire values, parsed once here so the runs carry the enum. */
  public static List<WireDtype> parseWires(List<String> wires) {
    return wires.stream()
        .map(
            w -> {
              try {
                return WireDtype.parse(w);
              } catch (SparkLlmException e) {
                throw new SparkLlmException("--wire takes fp32 and/or bf16, got '" + w + "'");
              }
            })
        .toList();
  }

  /** "8" (every preset) or "tiny=4,mini=1"; "*" holds the plain number. */
  public static Map<String, Integer> parsePerPreset(String option, String spec) {
    Map<String, Integer> m = new LinkedHashMap<>();
    try {
      for (String part : spec.split(",")) {
        int eq = part.indexOf('=');
        if (eq < 0) {
          m.put("*", Integer.parseInt(part.trim()));
        } else {
          m.put(part.substring(0, eq).trim(), Integer.parseInt(part.substring(eq + 1).trim()));
        }
      }
    } catch (NumberFormatException e) {
      throw new SparkLlmException(
          option + " takes N or preset=N,... (e.g. tiny=4,mini=1), got '" + spec + "'");
    }
    return m;
  }

  int perPreset(Map<String, Integer> m, String preset, String option) {
    Integer v = m.getOrDefault(preset, m.get("*"));
    if (v == null || v < 1) {
      throw new SparkLlmException(option + " has no positive value for preset " + preset);
    }
    return v;
  }

  int steps(String preset) {
    return perPreset(steps, preset, "--steps");
  }

  int batch(String preset) {
    return perPreset(batch, preset, "--batch");
  }

  int seq(String preset) {
    return perPreset(seq, preset, "--seq");
  }

  /** These options for the untimed warm-up: one preset, two steps of {@code batch} sequences. */
  DistributedBenchOptions forWarmUp(String preset, int batchSize) {
    return new DistributedBenchOptions(
        List.of(preset),
        replicas,
        wires,
        Map.of("*", 2),
        warmup,
        Map.of("*", batchSize),
        seq,
        vocab,
        threads,
        List.of(),
        List.of(),
        microRounds,
        microSeconds,
        seed);
  }
}
