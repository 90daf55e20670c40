package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.GptConfig;
import java.util.Random;
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
      assertThat(Generator.generate(gpt, prompt, sample))
          .containsExactly(Generator.generate(gpt, prompt, sample));
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

  @Test
  void nucleusKeepsOnlyTheHeadOfTheDistribution() {
    float[] logits = {0f, 5f, 4.9f, -3f}; // p ≈ .004, .52, .47, .0003
    Random r = new Random(1);
    Generator.Options topP = new Generator.Options(1, 1.0, 0, 0.5, 0, -1, true);
    for (int i = 0; i < 50; i++) {
      assertThat(Generator.pick(logits, topP, r)).isEqualTo(1);
    }
    Generator.Options topK2 = new Generator.Options(1, 1.0, 2, 1.0, 0, -1, true);
    for (int i = 0; i < 50; i++) {
      assertThat(Generator.pick(logits, topK2, r)).isIn(1, 2);
    }
  }
}
