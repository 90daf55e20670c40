package dev.sparkllm.evaluation;

import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.SparkLlmException;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Robustness perturbations of task prompts (in the spirit of HELM's robustness and NL-Augmenter):
 * the same examples are scored again with noisy prompts and the report shows metric deltas against
 * the clean run. Each example's noise is seeded by (seed, task, line, perturbation), so a rerun
 * perturbs exactly the same words.
 */
public final class Perturbations {
  public static final String TYPOS = "typos";
  public static final String CASE = "case";
  public static final String WHITESPACE = "whitespace";
  public static final String DISTRACTOR = "distractor";
  public static final List<String> ALL = List.of(TYPOS, CASE, WHITESPACE, DISTRACTOR);

  private Perturbations() {}

  public static void check(List<String> names) {
    for (String n : names) {
      if (!ALL.contains(n)) {
        throw new SparkLlmException(
            "evaluate.robustness.perturbations: unknown '" + n + "'; use some of " + ALL);
      }
    }
  }

  /**
   * @param rate per-word probability of a typo (two adjacent inner letters swapped), of
   *     upper-casing, or of doubled whitespace (a space or a newline)
   * @param distractors sentences of which one is put before the prompt by {@code distractor}
   */
  public static String apply(
      String name,
      String text,
      double rate,
      List<String> distractors,
      long seed,
      String task,
      int line) {
    Random rnd = new Random(Hashing.sha256Long(seed + "/" + task + "/" + line + "/" + name));
    return switch (name) {
      case TYPOS ->
          perWord(text, w -> w.length() >= 4 && rnd.nextDouble() < rate, Perturbations::swap);
      case CASE -> perWord(text, w -> rnd.nextDouble() < rate, w -> w.toUpperCase(Locale.ROOT));
      case WHITESPACE ->
          perWord(text, w -> rnd.nextDouble() < rate, w -> w + (rnd.nextBoolean() ? " " : "\n"));
      case DISTRACTOR ->
          distractors.isEmpty()
              ? text
              : distractors.get(rnd.nextInt(distractors.size())) + " " + text;
      default -> throw new SparkLlmException("unknown perturbation " + name);
    };
  }

  /** Middle pair of a word swapped: "model" → "mdoel"-like, keeping first and last letters. */
  private static String swap(String w) {
    int i = w.length() / 2 - 1;
    if (i < 1) {
      i = 1;
    }
    char[] c = w.toCharArray();
    char t = c[i];
    c[i] = c[i + 1];
    c[i + 1] = t;
    return new String(c);
  }

  /**
   * Applies {@code change} to the words (runs of non-space) that {@code pick} selects, in order.
   */
  private static String perWord(
      String text,
      java.util.function.Predicate<String> pick,
      java.util.function.UnaryOperator<String> change) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    int i = 0;
    while (i < text.length()) {
      int j = i;
      if (Character.isWhitespace(text.charAt(i))) {
        while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
          j++;
        }
        out.append(text, i, j);
      } else {
        while (j < text.length() && !Character.isWhitespace(text.charAt(j))) {
          j++;
        }
        String w = text.substring(i, j);
        out.append(pick.test(w) ? change.apply(w) : w);
      }
      i = j;
    }
    return out.toString();
  }
}
