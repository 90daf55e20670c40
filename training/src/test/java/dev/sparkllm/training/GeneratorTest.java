package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.GptConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  // Larger init std than GPT-2's so a random model has confident, varied next-token choices.
  static final GptConfig CONFIG = new GptConfig(40, 16, 2, 2, 32, 0.0, 1e-5, 0.5);

  static Gpt model(NDManager m) {
    Engine.getInstance().setRandomSeed(3);
    return Gpt.create(m, CONFIG);
  }

  @Test
  void greedyWithAndWithoutKvCacheGivesIdenticalTokens() {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt gpt = model(m);
      int[] prompt = {1, 2, 3};
      // 25 new tokens run past the 16-token context, exercising the sliding window too.
      int[] cached = Generator.generate(gpt, prompt, Generator.Options.greedy(25));
      int[] plain =
          Generator.generate(gpt, prompt, new Generator.Options(25, 0, 0, 1.0, 0, -1, false));
      assertThat(cached).hasSize(25).containsExactly(plain);
      int before = m.getManagedArrays().size();
      Generator.generate(gpt, prompt, Generator.Options.greedy(25));
      assertThat(m.getManagedArrays().size()).isEqualTo(before);
    }
  }

  @Test
  void samplingIsSeededAndTopKOneIsGreedy() {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt gpt = model(m);
      int[] prompt = {5};
      Generator.Options sample = new Generator.Options(12, 1.0, 0, 0.9, 42, -1, true);
      int[] sampled = Generator.generate(gpt, prompt, sample);
      assertThat(Generator.generate(gpt, prompt, sample)).containsExactly(sampled);
      // The seed reaches the sampler: another one draws other tokens, and none is the greedy run.
      assertThat(
              Generator.generate(gpt, prompt, new Generator.Options(12, 1.0, 0, 0.9, 43, -1, true)))
          .isNotEqualTo(sampled);
      assertThat(sampled)
          .isNotEqualTo(Generator.generate(gpt, prompt, Generator.Options.greedy(12)));
      int[] topOne =
          Generator.generate(gpt, prompt, new Generator.Options(12, 0.7, 1, 1.0, 9, -1, true));
      assertThat(topOne)
          .containsExactly(Generator.generate(gpt, prompt, Generator.Options.greedy(12)));
    }
  }

  @Test
  void stopsAtTheStopToken() {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt gpt = model(m);
      int[] greedy = Generator.generate(gpt, new int[] {7}, Generator.Options.greedy(10));
      int stop = greedy[3];
      int firstStop = 0;
      while (greedy[firstStop] != stop) {
        firstStop++;
      }
      int[] stopped =
          Generator.generate(
              gpt, new int[] {7}, new Generator.Options(10, 0, 0, 1.0, 0, stop, true));
      assertThat(stopped).hasSize(firstStop);
    }
  }

  /** Four tokens with probabilities .1, .4, .2, .3 at temperature 1 (best first: 1, 3, 2, 0). */
  static final float[] LOGITS = {
    (float) Math.log(0.1), (float) Math.log(0.4), (float) Math.log(0.2), (float) Math.log(0.3)
  };

  static final int DRAWS = 20_000;

  static Generator.Options sampling(double temperature, int topK, double topP) {
    return new Generator.Options(1, temperature, topK, topP, 0, -1, true);
  }

  /** How often each token is picked in {@link #DRAWS} draws from one seeded generator. */
  static long[] counts(float[] logits, Generator.Options o, long seed) {
    Random random = new Random(seed);
    long[] n = new long[logits.length];
    for (int i = 0; i < DRAWS; i++) {
      n[Generator.pick(logits, o, random)]++;
    }
    return n;
  }

  /** softmax(logits / temperature) restricted to {@code keep} (renormalised), zero elsewhere. */
  static double[] expected(float[] logits, double temperature, int... keep) {
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i : keep) {
      p[i] = Math.exp(logits[i] / temperature);
      sum += p[i];
    }
    for (int i : keep) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * The draws are deterministic (fixed seed), and the bound is a chi-square test at p = 0.001 over
   * the tokens that may be drawn: an honest sampler passes it with this seed, while any sampler off
   * by a few points of probability on 20,000 draws fails it by orders of magnitude. Tokens outside
   * {@code expected}'s support must never be drawn.
   */
  static void assertMatches(long[] observed, double[] expected) {
    List<Double> e = new ArrayList<>();
    List<Long> o = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] == 0) {
        assertThat(observed[i]).as("draws of token %d, outside the kept set", i).isZero();
      } else {
        e.add(expected[i]);
        o.add(observed[i]);
      }
    }
    if (e.size() == 1) {
      assertThat(o.get(0)).isEqualTo(DRAWS);
      return;
    }
    double p =
        new ChiSquareTest()
            .chiSquareTest(
                e.stream().mapToDouble(Double::doubleValue).toArray(),
                o.stream().mapToLong(Long::longValue).toArray());
    assertThat(p)
        .as("chi-square p-value of counts %s against %s", Arrays.toString(observed), e)
        .isGreaterThan(1e-3);
  }

  @Test
  void samplingFollowsSoftmaxOfLogitsOverTemperature() {
    for (double t : new double[] {1.0, 0.5, 2.0}) {
      assertMatches(counts(LOGITS, sampling(t, 0, 1.0), 11), expected(LOGITS, t, 0, 1, 2, 3));
    }
  }

  @Test
  void topKNeverLeavesTheKBestAndKeepsTheirRelativeOdds() {
    // The 2 best are 1 (.4) and 3 (.3): renormalised 4/7 and 3/7.
    assertMatches(counts(LOGITS, sampling(1.0, 2, 1.0), 12), expected(LOGITS, 1.0, 1, 3));
    assertMatches(counts(LOGITS, sampling(0.7, 3, 1.0), 13), expected(LOGITS, 0.7, 1, 3, 2));
    assertMatches(counts(LOGITS, sampling(1.0, 1, 1.0), 14), expected(LOGITS, 1.0, 1));
    // k beyond the vocabulary keeps everything.
    assertMatches(counts(LOGITS, sampling(1.0, 99, 1.0), 15), expected(LOGITS, 1.0, 0, 1, 2, 3));
  }

  @Test
  void topPKeepsTheSmallestSetWhoseMassReachesP() {
    // Sorted masses .4, .3, .2, .1: cumulative .4, .7, .9, 1.0.
    assertMatches(counts(LOGITS, sampling(1.0, 0, 0.35), 21), expected(LOGITS, 1.0, 1));
    assertMatches(counts(LOGITS, sampling(1.0, 0, 0.41), 22), expected(LOGITS, 1.0, 1, 3));
    assertMatches(counts(LOGITS, sampling(1.0, 0, 0.65), 23), expected(LOGITS, 1.0, 1, 3));
    assertMatches(counts(LOGITS, sampling(1.0, 0, 0.75), 24), expected(LOGITS, 1.0, 1, 3, 2));
    assertMatches(counts(LOGITS, sampling(1.0, 0, 0.95), 25), expected(LOGITS, 1.0, 0, 1, 2, 3));
    // Applied after top-k, to the renormalised k best: .4/.9, .3/.9 = .78 ≥ .7 keeps two of three.
    assertMatches(counts(LOGITS, sampling(1.0, 3, 0.7), 26), expected(LOGITS, 1.0, 1, 3));
    // And after temperature: at t = 2 the masses flatten to about .33, .28, .23, .16.
    double[] flat = expected(LOGITS, 2.0, 0, 1, 2, 3);
    assertThat(flat[1] + flat[3]).isLessThan(0.65).isGreaterThan(0.6);
    assertMatches(counts(LOGITS, sampling(2.0, 0, 0.65), 27), expected(LOGITS, 2.0, 1, 3, 2));
  }

  @Test
  void seedsChooseTheDrawsAndGreedyIsTheArgmax() {
    Generator.Options o = sampling(1.0, 0, 1.0);
    int[] a = new int[64];
    int[] again = new int[64];
    int[] other = new int[64];
    Random ra = new Random(1);
    Random rAgain = new Random(1);
    Random rOther = new Random(2);
    for (int i = 0; i < a.length; i++) {
      a[i] = Generator.pick(LOGITS, o, ra);
      again[i] = Generator.pick(LOGITS, o, rAgain);
      other[i] = Generator.pick(LOGITS, o, rOther);
    }
    assertThat(again).containsExactly(a);
    assertThat(other).isNotEqualTo(a);
    // Temperature 0 is greedy; a temperature near 0 sharpens the distribution onto the argmax.
    assertMatches(counts(LOGITS, sampling(0, 0, 1.0), 31), expected(LOGITS, 1.0, 1));
    assertMatches(counts(LOGITS, sampling(1e-3, 0, 1.0), 32), expected(LOGITS, 1.0, 1));
    float[] shifted = {3f, -1f, 2.5f, 7f, 6.9f};
    assertThat(Generator.pick(shifted, sampling(0, 0, 1.0), new Random(0))).isEqualTo(3);
  }
}
