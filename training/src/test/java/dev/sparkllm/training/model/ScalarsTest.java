package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sparkllm.training.optim.Gradients;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scalar operand of an autograd-tracked product must outlive the forward pass. DJL 0.35's
 * {@code mul(Number)} backs it with a Java direct buffer that it releases right after the op, so a
 * garbage collection before backward frees memory autograd still reads; {@link Scalars#of} makes a
 * tensor PyTorch owns. This test provokes exactly that: the operand's Java handle is closed, the
 * garbage collector runs, and fresh native allocations of the same size are filled with NaN.
 */
class ScalarsTest {

  @Test
  void scalarOperandSurvivesGarbageCollectionBeforeBackward() throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      NDArray ours = m.ones(new Shape(8));
      NDArray djl = m.ones(new Shape(8));
      ours.setRequiresGradient(true);
      djl.setRequiresGradient(true);
      NDArray lossOurs;
      NDArray lossDjl;
      try (AutoCloseable on = Gradients.recording()) {
        NDArray three = Scalars.of(ours, 3.0);
        lossOurs = ours.mul(three).sum();
        three.close(); // as a step scope would: autograd must not depend on the Java handle
        lossDjl = djl.mul(3.0).sum(); // DJL's Number overload, for comparison only
        List<ByteBuffer> reuse = churnNativeMemory();
        Gradients.backward(lossOurs);
        Gradients.backward(lossDjl);
        assertThat(reuse).isNotEmpty(); // kept alive until after backward on purpose
      }
      assertThat(ours.getGradient().toFloatArray()).containsOnly(3f);
      float[] viaNumber = djl.getGradient().toFloatArray();
      // Not asserted (it depends on the allocator reusing the freed block): shows the hazard.
      System.out.println(
          "DJL mul(Number) gradient after GC: "
              + java.util.Arrays.toString(viaNumber)
              + (viaNumber[0] == 3f ? " (not reproduced this run)" : " (read freed memory)"));
    }
  }

  @Test
  void gptGradientsDoNotDependOnACollectionBetweenForwardAndBackward() throws Exception {
    // The model's own forward (attention scaling, GELU) under the same provocation: with any
    // Number-overload operand left in it, the churned run's gradients would differ.
    GptConfig config = new GptConfig(64, 16, 2, 2, 32, 0.0, 1e-5, 0.02);
    Map<String, float[]> calm = gradients(config, false);
    Map<String, float[]> churned = gradients(config, true);
    assertThat(churned.keySet()).isEqualTo(calm.keySet());
    for (String name : calm.keySet()) {
      assertThat(churned.get(name)).as(name).containsExactly(calm.get(name));
    }
  }

  private static Map<String, float[]> gradients(GptConfig config, boolean churn) throws Exception {
    Map<String, float[]> out = new java.util.TreeMap<>();
    try (NDManager m = NDManager.newBaseManager();
        Gradients.Mode off = Gradients.disabled()) {
      ai.djl.engine.Engine.getInstance().setRandomSeed(7);
      Gpt model = Gpt.create(m, config);
      ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(m, false);
      int[] ids = new int[2 * 17];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = (i * 7 + 3) % config.vocabSize();
      }
      try (NDManager step = m.newSubManager()) {
        NDArray rows = step.create(ids, new Shape(2, 17));
        List<ByteBuffer> reuse;
        try (AutoCloseable on = Gradients.recording()) {
          NDArray logits = model.forward(ps, rows.get(":, :-1"), null, true);
          NDArray loss = Gpt.crossEntropy(logits, rows.get(":, 1:"));
          reuse = churn ? churnNativeMemory() : List.of();
          Gradients.backward(loss);
        }
        assertThat(reuse.size()).isIn(0, 10_000);
        model
            .namedParameters()
            .forEach((name, p) -> out.put(name, p.getArray().getGradient().toFloatArray()));
      }
    }
    return out;
  }

  /** Runs the collector so dropped direct buffers are freed, then refills small native blocks. */
  private static List<ByteBuffer> churnNativeMemory() throws InterruptedException {
    List<ByteBuffer> kept = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      System.gc();
      Thread.sleep(20); // the Cleaner frees direct buffers on its own thread
      for (int i = 0; i < 2000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        b.putFloat(0, Float.NaN);
        kept.add(b);
      }
    }
    return kept;
  }
}
