package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.GptConfig;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {
  static final GptConfig TINY = new GptConfig(50, 16, 2, 2, 32, 0.0, 1e-5, 0.02);

  static TrainingOptions options(String... overrides) {
    List<String> all = new ArrayList<>(List.of("training.warmup_steps=0", "training.threads=1"));
    all.addAll(Arrays.asList(overrides));
    return TrainingOptions.fromConfig(Config.load(null, all).section("training"));
  }

  static int[][] rows(long seed, int n, int len, int vocab) {
    Random r = new Random(seed);
    int[][] out = new int[n][len];
    for (int[] row : out) {
      for (int j = 0; j < len; j++) {
        row[j] = r.nextInt(vocab);
      }
    }
    return out;
  }

  @Test
  void accumulatingMicroBatchesEqualsOneLargerBatch() {
    TrainingOptions o = options("training.learning_rate=1.0e-3");
    int[][] batch = rows(7, 4, 9, TINY.vocabSize());
    try (Trainer whole = new Trainer(TINY, o);
        Trainer split = new Trainer(TINY, o)) {
      Trainer.StepResult a = whole.step(List.<int[][]>of(batch), 0);
      Trainer.StepResult b =
          split.step(List.of(Arrays.copyOfRange(batch, 0, 2), Arrays.copyOfRange(batch, 2, 4)), 0);
      assertThat(b.loss()).isCloseTo(a.loss(), within(1e-6));
      assertThat(b.gradNorm()).isCloseTo(a.gradNorm(), within(1e-6));
      assertThat(maxDiff(whole.model().namedParameters(), split.model().namedParameters()))
          .isLessThan(1e-6);
    }
  }

  static double maxDiff(Map<String, Parameter> a, Map<String, Parameter> b) {
    double max = 0;
    for (String name : a.keySet()) {
      float[] x = a.get(name).getArray().toFloatArray();
      float[] y = b.get(name).getArray().toFloatArray();
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }

  @Test
  void memoryStaysFlatAcrossSteps() {
    try (Trainer t = new Trainer(TINY, options())) {
      int[][] batch = rows(1, 2, 9, TINY.vocabSize());
      t.step(List.<int[][]>of(batch), 0);
      NDManager m = t.manager();
      int before = m.getManagedArrays().size();
      for (int s = 1; s < 10; s++) {
        t.step(List.<int[][]>of(batch), s);
      }
      t.evalLoss(List.<int[][]>of(batch));
      assertThat(m.getManagedArrays().size()).isEqualTo(before);
    }
  }

  /** The fp16 path (GPU-only in real runs) on CPU: it learns, and tracks fp32 closely. */
  @Test
  void fp16TrainsAgainstFp32MasterWeights() {
    int[][] batch = rows(3, 4, 9, TINY.vocabSize());
    try (Trainer fp16 = new Trainer(TINY, options("training.precision=fp16"), true);
        Trainer fp32 = new Trainer(TINY, options())) {
      double first = 0;
      double last = 0;
      for (int s = 0; s < 15; s++) {
        Trainer.StepResult r = fp16.step(List.<int[][]>of(batch), s);
        Trainer.StepResult ref = fp32.step(List.<int[][]>of(batch), s);
        assertThat(r.skipped()).isFalse();
        assertThat(r.loss()).isCloseTo(ref.loss(), within(0.05));
        first = s == 0 ? r.loss() : first;
        last = r.loss();
      }
      assertThat(last).isLessThan(first - 0.5);
      assertThat(fp16.model().namedParameters().get("wte.weight").getArray().getDataType())
          .isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
    }
  }

  @Test
  void halfPrecisionWithoutGpuFailsClearly() {
    assertThatThrownBy(() -> new Trainer(TINY, options("training.precision=bf16")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("bf16 is not supported with DJL 0.35");
    assertThatThrownBy(() -> new Trainer(TINY, options("training.precision=fp16")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("training.precision=fp16 needs a GPU")
        .hasMessageContaining("set training.precision=fp32");
  }

  /**
   * The replica lives on the device chosen from the options, not on the engine's default device: on
   * a GPU host (default device gpu(0)) with training.device=cpu, the model used to be created on
   * the GPU because the manager was built from the constructor's (null) device argument. The GPU
   * host is emulated by setting the engine's cached default device.
   */
  @Test
  void replicaUsesTheChosenDeviceNotTheEngineDefault() throws Exception {
    Engine engine = Engine.getInstance();
    Field cached = Engine.class.getDeclaredField("defaultDevice");
    cached.setAccessible(true);
    Object before = cached.get(engine);
    cached.set(engine, Device.gpu());
    try (Trainer t = new Trainer(TINY, options("training.device=cpu"))) {
      assertThat(engine.defaultDevice()).isEqualTo(Device.gpu());
      assertThat(t.device()).isEqualTo(Device.cpu());
      assertThat(t.manager().getDevice()).isEqualTo(Device.cpu());
      for (Parameter p : t.model().namedParameters().values()) {
        assertThat(p.getArray().getDevice()).as(p.getName()).isEqualTo(Device.cpu());
      }
    } finally {
      cached.set(engine, before);
    }
  }
}
