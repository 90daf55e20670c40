package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.LoraConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DPO with real DJL models on CPU: the formula by hand, and learning a preference. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DpoTrainerTest {
  static final int LEN = 9; // seq_len 8 + 1

  @BeforeAll
  static void engine() {
    Engine.getEngine("PyTorch");
  }

  @Test
  void lossAndRewardsEqualTheFormulaByHand() {
    double beta = 0.1;
    float[] piW = {-1.0f, -2.0f, -3.0f};
    float[] piL = {-1.5f, -1.0f, -3.5f};
    float[] refW = {-1.2f, -2.0f, -2.5f};
    float[] refL = {-1.4f, -1.5f, -3.0f};
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      Dpo.Terms t = Dpo.loss(m.create(piW), m.create(piL), m.create(refW), m.create(refL), beta);
      double loss = 0;
      for (int i = 0; i < 3; i++) {
        double rw = beta * (piW[i] - refW[i]);
        double rl = beta * (piL[i] - refL[i]);
        loss += -Math.log(1 / (1 + Math.exp(-(rw - rl))));
        assertThat((double) t.chosenRewards().getFloat(i)).isCloseTo(rw, within(1e-6));
        assertThat((double) t.rejectedRewards().getFloat(i)).isCloseTo(rl, within(1e-6));
      }
      assertThat((double) t.loss().getFloat()).isCloseTo(loss / 3, within(1e-6));
      // Pair 0: rewards 0.02 vs -0.01 (right), pair 1: 0 vs 0.05 (wrong), pair 2: -0.05 vs -0.05.
      Dpo.Stats.Sums sums = new Dpo.Stats.Sums();
      sums.add(t);
      Dpo.Stats s = sums.stats();
      assertThat(s.accuracy()).isCloseTo(1.0 / 3, within(1e-9));
      assertThat(s.margin()).isCloseTo((0.03 - 0.05 + 0.0) / 3, within(1e-6));
      assertThat(s.pairs()).isEqualTo(3);
    }
  }

  @Test
  void sequenceLogProbsSumTheMaskedTargetsOnly() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      // One row, two positions, vocab 3.
      float[][] l = {{1f, 2f, 3f}, {0f, 0f, 1f}};
      NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 1}, new Shape(1, 2, 3));
      NDArray targets = m.create(new int[] {0, 2}, new Shape(1, 2));
      double p1 = l[1][2] - Math.log(Math.exp(0) + Math.exp(0) + Math.exp(1));
      double p0 = l[0][0] - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
      NDArray onlySecond = m.create(new int[] {0, 1}, new Shape(1, 2));
      NDArray both = m.create(new int[] {1, 1}, new Shape(1, 2));
      assertThat((double) Gpt.sequenceLogProbs(logits, targets, onlySecond).getFloat(0))
          .isCloseTo(p1, within(1e-6));
      assertThat((double) Gpt.sequenceLogProbs(logits, targets, both).getFloat(0))
          .isCloseTo(p0 + p1, within(1e-6));
    }
  }

  /**
   * Pairs over prompts of 4 random tokens: the chosen response is the prompt's first token + 20,
   * the rejected one a different token; then end-of-text (0) and padding (1).
   */
  static List<PreferenceBatch> preferenceSet(long seed, int batches, int pairs) {
    Random r = new Random(seed);
    List<PreferenceBatch> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      int[][] chosen = new int[pairs][];
      int[][] rejected = new int[pairs][];
      int[][] mask = new int[pairs][];
      for (int i = 0; i < pairs; i++) {
        int[] prompt = r.ints(4, 2, 20).toArray();
        int good = prompt[0] + 20;
        int bad = 22 + (prompt[0] - 2 + 1 + r.nextInt(17)) % 18; // never prompt[0] + 20
        chosen[i] = new int[] {prompt[0], prompt[1], prompt[2], prompt[3], good, 0, 1, 1, 1};
        rejected[i] = new int[] {prompt[0], prompt[1], prompt[2], prompt[3], bad, 0, 1, 1, 1};
        mask[i] = new int[] {0, 0, 0, 0, 1, 1, 0, 0, 0};
      }
      out.add(new PreferenceBatch(chosen, mask, rejected, mask));
    }
    return out;
  }

  @Test
  void trainingRaisesPreferenceAccuracyWellAboveChance() {
    TrainingOptions o = TrainerTest.options("training.learning_rate=3.0e-3");
    List<PreferenceBatch> data = preferenceSet(1, 4, 8);
    try (Trainer t = new Trainer(TrainerTest.TINY, o, Device.cpu());
        DpoTrainer dpo = new DpoTrainer(t, 0.1)) {
      Dpo.Stats before = dpo.evaluate(data);
      // Policy = reference: every reward is 0, so the loss is log 2 and no pair is won.
      assertThat(before.loss()).isCloseTo(Math.log(2), within(1e-6));
      assertThat(before.accuracy()).isZero();
      for (int s = 0; s < 30; s++) {
        dpo.step(List.of(data.get(s % data.size())), s, null);
      }
      Dpo.Stats after = dpo.evaluate(data);
      assertThat(after.accuracy()).isGreaterThan(0.9);
      assertThat(after.margin()).isGreaterThan(0.1);
      assertThat(after.loss()).isLessThan(before.loss() - 0.05);
    }
  }

  @Test
  void dpoOnALoraPolicyUsesTheBaseAsReferenceAndKeepsItFrozen() {
    TrainingOptions o = TrainerTest.options("training.learning_rate=1.0e-2");
    LoraConfig lora = new LoraConfig(4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"));
    List<PreferenceBatch> data = preferenceSet(2, 4, 8);
    try (Trainer t = new Trainer(TrainerTest.TINY, o, Device.cpu(), lora);
        DpoTrainer dpo = new DpoTrainer(t, 0.1)) {
      Map<String, float[]> base = LoraTrainerTest.snapshot(t.model().namedParameters());
      assertThat(dpo.evaluate(data).loss()).isCloseTo(Math.log(2), within(1e-6));
      // Adapters on a frozen random base (its LM head is frozen too) learn slower than full DPO.
      for (int s = 0; s < 80; s++) {
        dpo.step(List.of(data.get(s % data.size())), s, null);
      }
      Dpo.Stats after = dpo.evaluate(data);
      assertThat(after.accuracy()).isGreaterThan(0.8);
      assertThat(after.loss()).isLessThan(Math.log(2) - 0.03);
      LoraTrainerTest.snapshot(t.model().namedParameters())
          .forEach((k, v) -> assertThat(v).as(k).containsExactly(base.get(k)));
    }
  }

  @Test
  void badBetaAndRaggedBatchesAreClearErrors() {
    try (Trainer t = new Trainer(TrainerTest.TINY, TrainerTest.options(), Device.cpu())) {
      assertThatThrownBy(() -> new DpoTrainer(t, 0))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("finetune.dpo.beta must be > 0");
    }
    int[][] one = {new int[LEN]};
    assertThatThrownBy(() -> new PreferenceBatch(one, one, new int[0][], one))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("as many chosen rows");
  }
}
