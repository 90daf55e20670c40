package dev.sparkllm.training;

import java.util.Random;

/**
 * The sampler of {@link Generator} for decoders that compute logits themselves (the server's
 * batched decoding): greedy at temperature 0, else temperature, top-k and top-p, drawing from the
 * caller's own {@link Random} so each request keeps its seeded stream.
 */
public final class Sampling {
  private Sampling() {}

  /** The next token for {@code logits} under {@code o}'s temperature, top-k and top-p. */
  public static int pick(float[] logits, Generator.Options o, Random random) {
    return Generator.pick(logits, o, random);
  }
}
