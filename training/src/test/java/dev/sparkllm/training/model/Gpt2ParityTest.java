package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logits parity with the independent PyTorch reference in {@code gpt2-parity/gpt2_reference.py}
 * (Hugging Face GPT-2 layout and math), and the safetensors export round trip.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Gpt2ParityTest {
  static final GptConfig FIXTURE = new GptConfig(100, 16, 2, 2, 32, 0.0, 1e-5, 0.02);

  static byte[] resource(String name) throws Exception {
    try (InputStream in = Gpt2ParityTest.class.getResourceAsStream("/gpt2-parity/" + name)) {
      return in.readAllBytes();
    }
  }

  private static float maxAbsDiff(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }

  @Test
  void logitsMatchReferenceWithin1e4() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, FIXTURE);
      Gpt2Weights.load(model, resource("model.safetensors"), "fixture");
      NDList expected =
          NDList.decode(m, new ByteArrayInputStream(resource("expected.safetensors")));
      NDArray ids = expected.get("input_ids");
      NDArray logits = model.forward(new ParameterStore(m, false), ids, null, false);
      assertThat(logits.getShape()).isEqualTo(expected.get("logits").getShape());
      assertThat(maxAbsDiff(logits, expected.get("logits"))).isLessThan(1e-4f);
    }
  }

  @Test
  void exportRoundTripsAndReferenceReadsIt(@TempDir Path tmp) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, FIXTURE);
      Gpt2Weights.load(model, resource("model.safetensors"), "fixture");
      byte[] exported = Gpt2Weights.export(model);
      Gpt copy = Gpt.create(m, FIXTURE);
      Gpt2Weights.load(copy, exported, "export");
      NDList expected =
          NDList.decode(m, new ByteArrayInputStream(resource("expected.safetensors")));
      ParameterStore ps = new ParameterStore(m, false);
      NDArray a = model.forward(ps, expected.get("input_ids"), null, false);
      NDArray b = copy.forward(ps, expected.get("input_ids"), null, false);
      assertThat(maxAbsDiff(a, b)).isEqualTo(0f);

      // The Python reference (HF layout) must read our export and reproduce its own logits.
      Assumptions.assumeTrue(new File("/usr/bin/python3").canExecute(), "no /usr/bin/python3");
      Path dir = tmp.resolve("fixture");
      Files.createDirectories(dir);
      Files.write(dir.resolve("gpt2_reference.py"), resource("gpt2_reference.py"));
      Files.write(dir.resolve("expected.safetensors"), resource("expected.safetensors"));
      Files.write(dir.resolve("export.safetensors"), exported);
      Process p =
          new ProcessBuilder(
                  "/usr/bin/python3", "gpt2_reference.py", "--check", "export.safetensors")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      Assumptions.assumeFalse(
          out.contains("No module named"), "python3 lacks torch/numpy: " + out.trim());
      assertThat(p.exitValue()).as(out).isEqualTo(0);
      assertThat(out).contains("max_abs_diff");
    }
  }

  /** Inference in fp16 (weights cast on the fly) stays close to the fp32 reference. */
  @Test
  void fp16InferenceIsCloseToReference() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, FIXTURE);
      Gpt2Weights.load(model, resource("model.safetensors"), "fixture");
      NDList expected =
          NDList.decode(m, new ByteArrayInputStream(resource("expected.safetensors")));
      model.setComputeType(DataType.FLOAT16);
      NDArray logits =
          model.forward(new ParameterStore(m, false), expected.get("input_ids"), null, false);
      assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT16);
      assertThat(maxAbsDiff(logits.toType(DataType.FLOAT32, false), expected.get("logits")))
          .isLessThan(0.05f);
    }
  }

  @Test
  void wrongShapeIsRefusedWithTheTensorName() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, new GptConfig(100, 16, 2, 2, 64, 0.0, 1e-5, 0.02));
      assertThatThrownBy(() -> Gpt2Weights.load(model, resource("model.safetensors"), "fixture"))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("fixture: tensor")
          .hasMessageContaining("needs");
    }
  }
}
