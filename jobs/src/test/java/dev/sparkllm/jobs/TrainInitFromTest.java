package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.testing.TinyTraining;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --init-from DIR} starts from imported GPT-2 weights: the fixture directory is a
 * Hugging Face GPT-2 model (config.json, model.safetensors) written by the independent Python
 * reference in training's gpt2-parity resources. With a learning rate of ~0 the trained checkpoint
 * must still hold those weights; a run without the flag starts from random ones.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TrainInitFromTest {
  static final Path GPT2 = Path.of("../training/src/test/resources/gpt2-parity");

  static String train(Path tmp, String name, String data, String... extra) {
    String run = tmp.resolve(name).toString();
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "train",
                "--data",
                data,
                "--output",
                run,
                "--set",
                "model.context_length=16",
                "--set",
                "model.n_layer=2",
                "--set",
                "model.n_head=2",
                "--set",
                "model.n_embd=32",
                "--set",
                "training.max_steps=1",
                "--set",
                "training.batch_size=2",
                "--set",
                "training.learning_rate=1.0e-9",
                "--set",
                "training.min_lr=0.0",
                "--set",
                "training.eval_interval=0",
                "--set",
                "training.threads=1"));
    args.addAll(java.util.List.of(extra));
    CliCapture c = CliCapture.run(args.toArray(String[]::new));
    assertThat(c.exitCode).as(c.err).isZero();
    return Checkpoints.latest(run);
  }

  static double maxDiff(byte[] a, byte[] b) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDList x = NDList.decode(m, new ByteArrayInputStream(a));
      NDList y = NDList.decode(m, new ByteArrayInputStream(b));
      double max = 0;
      for (NDArray t : x) {
        NDArray u = y.get(t.getName());
        assertThat(u).as(t.getName()).isNotNull();
        max = Math.max(max, t.sub(u).abs().max().getFloat());
      }
      return max;
    }
  }

  @Test
  void trainStartsFromImportedGpt2Weights(@TempDir Path tmp) throws Exception {
    String data = tmp.resolve("data").toString();
    TinyTraining.writeRandomShards(data, 16, 16, 100, "validation");
    byte[] imported = Files.readAllBytes(GPT2.resolve("model.safetensors"));

    String from = train(tmp, "from", data, "--init-from", GPT2.toString());
    byte[] trained = Files.readAllBytes(Path.of(from, Checkpoints.MODEL));
    assertThat(maxDiff(imported, trained)).isLessThan(1e-5);

    String random = train(tmp, "random", data);
    assertThat(maxDiff(imported, Files.readAllBytes(Path.of(random, Checkpoints.MODEL))))
        .isGreaterThan(1e-2);
  }
}
