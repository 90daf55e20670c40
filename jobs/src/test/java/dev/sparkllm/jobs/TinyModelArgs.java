package dev.sparkllm.jobs;

import java.util.List;

/** CLI settings for a model of a few thousand parameters, for tests that train through the CLI. */
public final class TinyModelArgs {
  private TinyModelArgs() {}

  /** {@code --preset tiny} shrunk to 1 layer of width 16 on context 16, no evaluation. */
  public static List<String> of(long maxSteps) {
    return List.of(
        "--preset",
        "tiny",
        "--set",
        "model.context_length=16",
        "--set",
        "model.n_layer=1",
        "--set",
        "model.n_head=2",
        "--set",
        "model.n_embd=16",
        "--set",
        "training.batch_size=2",
        "--set",
        "training.max_steps=" + maxSteps,
        "--set",
        "training.eval_interval=0",
        "--set",
        "training.threads=1");
  }
}
