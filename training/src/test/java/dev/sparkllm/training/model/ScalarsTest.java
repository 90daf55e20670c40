package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.ParameterStore;
import dev.sparkllm.training.optim.Gradients;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The scalar operand of an autograd-tracked product must outlive the forward pass. DJL 0.35's
 * {@code mul(Number)} makes it a tensor over a Java direct buffer (from_blob) and closes it right
 * after the op; autograd keeps the tensor and reads that memory in backward, after the garbage
 * collector may have freed it. {@link Scalars#of} makes a tensor PyTorch owns.
 */
class ScalarsTest {

  /**
   * DJL's {@code PtNDArray.dataRef}: the Java buffer a from_blob tensor reads, null when PyTorch
   * owns the memory.
   */
  private static ByteBuffer javaBuffer(NDArray a) throws ReflectiveOperationException {
    Field f = PtNDArray.class.getDeclaredField("dataRef");
    f.setAccessible(true);
    return (ByteBuffer) f.get(a);
  }

  @Test
  void djlNumberOperandIsAJavaBufferThatBackwardReadsAfterItsHandleIsClosed() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      NDArray x = m.ones(new Shape(8));
      x.setRequiresGradient(true);
      NDArray loss;
      ByteBuffer behindTheScalar;
      try (AutoCloseable on = Gradients.recording()) {
        // What mul(Number) does internally: manager.create(n), the op, then close.
        NDArray three = m.create(3f);
        behindTheScalar = javaBuffer(three);
        loss = x.mul(three).sum();
        three.close();
        // Stands in for the allocator reusing the block once the collector frees the buffer.
        behindTheScalar.putFloat(0, Float.NaN);
        Gradients.backward(loss);
      }
      // If this fails, DJL copies Number operands now and Scalars is no longer needed.
      assertThat(behindTheScalar).as("DJL's scalar is backed by a Java buffer").isNotNull();
      assertThat(x.getGradient().toFloatArray()).containsOnly(Float.NaN);
    }
  }

  @Test
  void scalarsOfIsOwnedByPyTorchAndSurvivesItsHandleAndACollection() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      NDArray x = m.ones(new Shape(8));
      x.setRequiresGradient(true);
      try (AutoCloseable on = Gradients.recording()) {
        NDArray three = Scalars.of(x, 3.0);
        assertThat(javaBuffer(three)).as("Scalars.of must not sit on a Java buffer").isNull();
        NDArray loss = x.mul(three).sum();
        three.close(); // as a step scope would: autograd must not depend on the Java handle
        collectDirectBuffers();
        Gradients.backward(loss);
      }
      assertThat(x.getGradient().toFloatArray()).containsOnly(3f);
    }
  }

  /**
   * The model's own forward (attention scaling, GELU) with every direct buffer released between
   * forward and backward: a Number-overload operand left in it would then be read from freed memory
   * (glibc overwrites a freed small block's first bytes with its free-list link), and the gradients
   * would differ from those of an undisturbed run.
   */
  @Test
  void gptGradientsDoNotDependOnACollectionBetweenForwardAndBackward() throws Exception {
    GptConfig config = new GptConfig(64, 16, 2, 2, 32, 0.0, 1e-5, 0.02);
    Map<String, float[]> calm = gradients(config, false);
    Map<String, float[]> collected = gradients(config, true);
    assertThat(collected.keySet()).isEqualTo(calm.keySet());
    for (String name : calm.keySet()) {
      assertThat(collected.get(name)).as(name).containsExactly(calm.get(name));
    }
  }

  /**
   * The code that runs under autograd (the model and the trainer's loss scaling) calls no
   * Number-overload {@code mul}, {@code div} or {@code pow}: the trainer runs backward right after
   * scaling, so a collection in between is too rare to provoke, but the operand is just as unsafe.
   */
  @Test
  void codeUnderAutogradUsesNoNumberOverload() throws Exception {
    Path classes = Path.of("target/classes/dev/sparkllm/training");
    List<Path> files = new ArrayList<>();
    files.add(classes.resolve("Trainer.class"));
    try (Stream<Path> model = Files.list(classes.resolve("model"))) {
      model.filter(p -> p.toString().endsWith(".class")).forEach(files::add);
    }
    assertThat(files).hasSizeGreaterThan(5).allMatch(Files::isRegularFile);
    List<String> cmd = new ArrayList<>(List.of(javap(), "-c", "-p"));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("Scalars.of"); // javap really disassembled the model
    List<String> offenders = new ArrayList<>();
    String where = "?";
    Matcher line =
        Pattern.compile(
                "(?m)^(Compiled from .*|.*NDArray\\.(mul|div|pow):\\(Ljava/lang/Number;\\).*)$")
            .matcher(out);
    while (line.find()) {
      if (line.group(1).startsWith("Compiled from")) {
        where = line.group(1);
      } else {
        offenders.add(where + ": " + line.group(1).trim());
      }
    }
    assertThat(offenders).as("use Scalars.of instead").isEmpty();
  }

  private static String javap() {
    Path bin = Path.of(System.getProperty("java.home"), "bin", "javap");
    return Files.isExecutable(bin) ? bin.toString() : "javap";
  }

  private static Map<String, float[]> gradients(GptConfig config, boolean collect)
      throws Exception {
    Map<String, float[]> out = new TreeMap<>();
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      Engine.getInstance().setRandomSeed(7);
      Gpt model = Gpt.create(m, config);
      ParameterStore ps = new ParameterStore(m, false);
      int[] ids = new int[2 * 17];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = (i * 7 + 3) % config.vocabSize();
      }
      try (NDManager step = m.newSubManager()) {
        NDArray rows = step.create(ids, new Shape(2, 17));
        try (AutoCloseable on = Gradients.recording()) {
          NDArray logits = model.forward(ps, rows.get(":, :-1"), null, true);
          NDArray loss = Gpt.crossEntropy(logits, rows.get(":, 1:"));
          if (collect) {
            collectDirectBuffers();
          }
          Gradients.backward(loss);
        }
        model
            .namedParameters()
            .forEach((name, p) -> out.put(name, p.getArray().getGradient().toFloatArray()));
      }
    }
    return out;
  }

  /**
   * Collects garbage until the JVM has freed every unreachable direct buffer: their count stops
   * falling and no more are pending. Without that wait a collection only queues their release.
   */
  private static void collectDirectBuffers() throws InterruptedException {
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(b -> b.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    long before = Long.MAX_VALUE;
    for (int round = 0; round < 50; round++) {
      System.gc();
      Thread.sleep(20); // the reference handler releases buffers on its own thread
      long now = direct.getCount();
      if (now == before) {
        return;
      }
      before = now;
    }
    throw new AssertionError("direct buffers kept being released for 50 collections");
  }
}
