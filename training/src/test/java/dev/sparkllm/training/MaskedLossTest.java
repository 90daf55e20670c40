package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.sparkllm.training.optim.Gradients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trainer's loss over padded rows counts only the targets whose loss_mask is 1. */
class MaskedLossTest {
  static final int LEN = 9;

  /** Prompt at ids 0..2, response at 3..5, padding at 6..8 (as Padder writes them). */
  static int[][] mask(int rows) {
    int[][] m = new int[rows][LEN];
    for (int[] row : m) {
      for (int j = 3; j <= 5; j++) {
        row[j] = 1;
      }
    }
    return m;
  }

  @Test
  void lossIsTheMeanOverMaskedTargetsOnly() {
    int[][] ids = TrainerTest.rows(11, 2, LEN, TrainerTest.TINY.vocabSize());
    int[][] mask = mask(2);
    mask[1][4] = 0; // rows need not count the same number of targets
    try (Trainer t = new Trainer(TrainerTest.TINY, TrainerTest.options())) {
      double expected = handLoss(t, ids, mask);
      double all = t.evalLoss(List.<int[][]>of(ids));
      assertThat(expected).isNotCloseTo(all, within(1e-3)); // the mask must make a difference
      assertThat(t.evalLossBatches(List.of(new Batch(ids, mask))))
          .isCloseTo(expected, within(1e-5));
      // TINY has no dropout, so the training loss is the same number.
      assertThat(t.forwardBackwardBatches(List.of(new Batch(ids, mask)), 0))
          .isCloseTo(expected, within(1e-5));
    }
  }

  @Test
  void paddingTokensAsTargetsDoNotChangeTheGradient() {
    int[][] ids = TrainerTest.rows(13, 2, LEN, TrainerTest.TINY.vocabSize());
    int[][] other = new int[ids.length][];
    for (int i = 0; i < ids.length; i++) {
      other[i] = ids[i].clone();
      for (int j = 6; j < LEN; j++) { // after the response: never an input to a counted target
        other[i][j] = (ids[i][j] + 7) % TrainerTest.TINY.vocabSize();
      }
    }
    try (Trainer a = new Trainer(TrainerTest.TINY, TrainerTest.options());
        Trainer b = new Trainer(TrainerTest.TINY, TrainerTest.options())) {
      double la = a.forwardBackwardBatches(List.of(new Batch(ids, mask(2))), 0);
      double lb = b.forwardBackwardBatches(List.of(new Batch(other, mask(2))), 0);
      assertThat(lb).isEqualTo(la);
      Map<String, float[]> ga = grads(a);
      Map<String, float[]> gb = grads(b);
      assertThat(ga.get("h.0.attn.c_attn.weight"))
          .isNotEqualTo(new float[ga.get("h.0.attn.c_attn.weight").length]);
      for (String name : ga.keySet()) {
        assertThat(gb.get(name)).as(name).containsExactly(ga.get(name));
      }
    }
  }

  @Test
  void anAllZeroMaskGivesNoLossAndNoNaN() {
    int[][] ids = TrainerTest.rows(17, 2, LEN, TrainerTest.TINY.vocabSize());
    int[][] empty = new int[2][LEN];
    empty[0][0] = 1; // mask[0] is never a target
    try (Trainer t = new Trainer(TrainerTest.TINY, TrainerTest.options())) {
      Batch counted = new Batch(ids, mask(2));
      double alone = t.evalLossBatches(List.of(counted));
      assertThat(t.evalLossBatches(List.of(new Batch(ids, empty), counted))).isEqualTo(alone);
      assertThat(t.evalLossBatches(List.of(new Batch(ids, empty)))).isNaN();
      assertThat(t.forwardBackwardBatches(List.of(new Batch(ids, empty)), 0)).isZero();
      assertThat(grads(t).values()).allSatisfy(g -> assertThat(g).containsOnly(0f));
      Trainer.StepResult r = t.stepBatches(List.of(new Batch(ids, empty), counted), 0);
      assertThat(r.loss()).isCloseTo(alone, within(1e-5));
      assertThat(r.gradNorm()).isFinite().isPositive();
    }
  }

  /** Cross-entropy over the masked targets, from the model's logits by hand in double. */
  static double handLoss(Trainer t, int[][] ids, int[][] mask) {
    try (NDManager scope = t.manager().newSubManager()) {
      NDArray x = t.toArray(scope, ids).get(":, :-1");
      NDArray logits = t.model().forward(t.store(), x, null, false);
      Shape s = logits.getShape();
      int tt = (int) s.get(1);
      int v = (int) s.get(2);
      float[] l = logits.toFloatArray();
      double sum = 0;
      int n = 0;
      for (int b = 0; b < ids.length; b++) {
        for (int j = 0; j < tt; j++) {
          if (mask[b][j + 1] == 0) {
            continue;
          }
          int off = (b * tt + j) * v;
          double max = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < v; c++) {
            max = Math.max(max, l[off + c]);
          }
          double z = 0;
          for (int c = 0; c < v; c++) {
            z += Math.exp(l[off + c] - max);
          }
          sum += max + Math.log(z) - l[off + ids[b][j + 1]];
          n++;
        }
      }
      return sum / n;
    }
  }

  static Map<String, float[]> grads(Trainer t) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager scope = t.manager().newSubManager()) {
      for (Map.Entry<String, Parameter> e : t.model().namedParameters().entrySet()) {
        out.put(e.getKey(), Gradients.of(e.getValue(), scope).toFloatArray());
      }
    }
    return out;
  }
}
