package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.training.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batched decoding must not change the math: a sequence's logits are the same bits whether it
 * decodes alone or next to others, and greedy decoding through the batch gives the tokens of {@link
 * Generator}. A seeded server request relies on this to sample the same tokens under load.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BatchDecoderTest {
  // Wide enough (C = 64, 4 heads) that the projections are real matrix products.
  static final GptConfig CONFIG = new GptConfig(50, 48, 2, 4, 64, 0.0, 1e-5, 0.3);

  @Test
  void rowsAreBitIdenticalToDecodingAloneWhateverSharesTheStep() {
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(11);
      Gpt gpt = Gpt.create(m, CONFIG);
      BatchDecoder dec = new BatchDecoder(gpt, 8);
      int[][] prompts = new int[16][];
      for (int i = 0; i < prompts.length; i++) {
        prompts[i] = new int[1 + (i * 7) % 13];
        for (int t = 0; t < prompts[i].length; t++) {
          prompts[i][t] = (i * 31 + t * 17) % 50;
        }
      }
      int steps = 6;
      // Alone: each sequence decodes by itself, fed a fixed token stream.
      List<List<float[]>> alone = new ArrayList<>();
      for (int[] prompt : prompts) {
        List<float[]> rows = new ArrayList<>();
        try (BatchDecoder.Sequence s = dec.open()) {
          float[][] pre = dec.prefill(s, prompt);
          rows.add(pre[pre.length - 1]);
          for (int k = 0; k < steps; k++) {
            rows.add(dec.step(List.of(s), new int[] {feed(prompt, k)})[0]);
          }
        }
        alone.add(rows);
      }
      // Together: sequences join at different steps (continuous batching) and share every step.
      List<BatchDecoder.Sequence> open = new ArrayList<>();
      List<Integer> who = new ArrayList<>();
      int[] done = new int[prompts.length];
      List<List<float[]>> together = new ArrayList<>();
      for (int i = 0; i < prompts.length; i++) {
        together.add(new ArrayList<>());
      }
      int next = 0;
      while (next < prompts.length || !open.isEmpty()) {
        for (int j = 0; j < 3 && next < prompts.length && open.size() < dec.width(); j++, next++) {
          BatchDecoder.Sequence s = dec.open();
          float[][] pre = dec.prefill(s, prompts[next]);
          together.get(next).add(pre[pre.length - 1]);
          open.add(s);
          who.add(next);
        }
        int[] toks = new int[open.size()];
        for (int j = 0; j < open.size(); j++) {
          toks[j] = feed(prompts[who.get(j)], done[who.get(j)]);
        }
        float[][] out = dec.step(open, toks);
        for (int j = open.size() - 1; j >= 0; j--) {
          int i = who.get(j);
          together.get(i).add(out[j]);
          if (++done[i] == steps) {
            open.remove(j).close();
            who.remove(j);
          }
        }
      }
      for (int i = 0; i < prompts.length; i++) {
        for (int k = 0; k <= steps; k++) {
          assertThat(Arrays.equals(together.get(i).get(k), alone.get(i).get(k)))
              .as("sequence %d, position %d", i, k)
              .isTrue();
        }
      }
    }
  }

  @Test
  void greedyDecodingMatchesTheGenerator() {
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(12);
      Gpt gpt = Gpt.create(m, CONFIG);
      BatchDecoder dec = new BatchDecoder(gpt, 4);
      int[] prompt = {3, 9, 27, 31};
      int[] expected = Generator.generate(gpt, prompt, Generator.Options.greedy(20));
      int[] got = new int[20];
      try (BatchDecoder.Sequence s = dec.open();
          BatchDecoder.Sequence other = dec.open()) {
        float[][] pre = dec.prefill(s, prompt);
        dec.prefill(other, new int[] {1, 2});
        got[0] = argmax(pre[pre.length - 1]);
        for (int k = 1; k < 20; k++) {
          got[k] = argmax(dec.step(List.of(other, s), new int[] {k % 50, got[k - 1]})[1]);
        }
      }
      assertThat(got).containsExactly(expected);
    }
  }

  private static int feed(int[] prompt, int k) {
    return (prompt[0] * 13 + k * 7) % 50;
  }

  private static int argmax(float[] a) {
    int best = 0;
    for (int i = 1; i < a.length; i++) {
      if (a[i] > a[best]) {
        best = i;
      }
    }
    return best;
  }
}
