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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
  void exportRoundTripsInTheReferenceLayout() throws Exception {
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

      // HF layout without Python: the export holds exactly the reference's tensors (names, shapes,
      // values), which is what the reference reads.
      NDList fixture = NDList.decode(m, new ByteArrayInputStream(resource("model.safetensors")));
      NDList ours = NDList.decode(m, new ByteArrayInputStream(exported));
      assertThat(names(ours)).hasSize(28).isEqualTo(names(fixture)); // wte, wpe, 2x12, ln_f
      for (NDArray t : fixture) {
        NDArray e = ours.get(t.getName());
        assertThat(e.getShape()).as(t.getName()).isEqualTo(t.getShape());
        assertThat(e.getDataType()).as(t.getName()).isEqualTo(t.getDataType());
        assertThat(e.toFloatArray()).as(t.getName()).containsExactly(t.toFloatArray());
      }
    }
  }

  /**
   * The committed fixtures are what the PyTorch reference makes, and it reads our export. Needs
   * torch and numpy in /usr/bin/python3 (Debian's python3-torch, which .ci/run installs); skipped
   * without them on a developer's machine, a failure in CI (CI=true).
   */
  @Test
  void referenceRegeneratesTheFixturesAndReadsOurExport(@TempDir Path dir) throws Exception {
    boolean torch =
        new File("/usr/bin/python3").canExecute()
            && python(dir, "-c", "import torch, numpy").exit == 0;
    if ("true".equals(System.getenv("CI"))) {
      assertThat(torch)
          .as("/usr/bin/python3 with torch and numpy (.ci/run installs them)")
          .isTrue();
    }
    Assumptions.assumeTrue(torch, "/usr/bin/python3 lacks torch or numpy");
    Files.write(dir.resolve("gpt2_reference.py"), resource("gpt2_reference.py"));
    Result gen = python(dir, "gpt2_reference.py");
    assertThat(gen.exit).as(gen.out).isZero();
    // Seeded weights are bit-identical across torch builds; logits only to rounding.
    assertThat(Files.readAllBytes(dir.resolve("model.safetensors")))
        .isEqualTo(resource("model.safetensors"));
    assertThat(Files.readString(dir.resolve("config.json")))
        .isEqualTo(new String(resource("config.json")));
    try (NDManager m = NDManager.newBaseManager()) {
      NDList committed =
          NDList.decode(m, new ByteArrayInputStream(resource("expected.safetensors")));
      NDList regenerated =
          NDList.decode(
              m, new ByteArrayInputStream(Files.readAllBytes(dir.resolve("expected.safetensors"))));
      assertThat(regenerated.get("input_ids").toLongArray())
          .containsExactly(committed.get("input_ids").toLongArray());
      assertThat(maxAbsDiff(regenerated.get("logits"), committed.get("logits"))).isLessThan(1e-5f);
      Gpt model = Gpt.create(m, FIXTURE);
      Gpt2Weights.load(model, resource("model.safetensors"), "fixture");
      Files.write(dir.resolve("export.safetensors"), Gpt2Weights.export(model));
    }
    Result check = python(dir, "gpt2_reference.py", "--check", "export.safetensors");
    assertThat(check.exit).as(check.out).isZero();
    assertThat(check.out).contains("max_abs_diff");
  }

  private record Result(int exit, String out) {}

  private static Result python(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python3 finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  private static Set<String> names(NDList list) {
    Set<String> out = new TreeSet<>();
    list.forEach(a -> out.add(a.getName()));
    return out;
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
