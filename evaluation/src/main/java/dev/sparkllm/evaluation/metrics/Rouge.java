package dev.sparkllm.evaluation.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L (Lin, 2004) as Google's {@code rouge-score} package computes them
 * ({@code RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=...)}), which is also what HF
 * {@code evaluate}'s "rouge" uses. ROUGE-L here is the sentence-level LCS over the whole text
 * ({@code rougeL}), not the newline-split summary-level {@code rougeLsum}.
 *
 * <p>Tokenizer (rouge-score's {@code DefaultTokenizer}): lowercase, every run of characters other
 * than {@code [a-z0-9]} becomes a space, split, Porter-stem tokens longer than 3 characters when
 * stemming is on (NLTK's variant, see {@link NltkPorterStemmer}). Non-Latin text therefore has no
 * tokens at all and scores 0, exactly as in rouge-score.
 */
public final class Rouge {
  /** Precision, recall and F1 of one ROUGE type; all in [0, 1]. */
  public record Score(double precision, double recall, double fmeasure) {
    static final Score ZERO = new Score(0, 0, 0);

    static Score of(double precision, double recall) {
      return new Score(precision, recall, f1(precision, recall));
    }
  }

  /** The three ROUGE types of one hypothesis. */
  public record Result(Score rouge1, Score rouge2, Score rougeL) {}

  private static final Pattern NON_ALPHANUM = Pattern.compile("[^a-z0-9]+");
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Pattern VALID_TOKEN = Pattern.compile("[a-z0-9]+");

  private final boolean useStemmer;

  public Rouge(boolean useStemmer) {
    this.useStemmer = useStemmer;
  }

  /** rouge-score's tokenization of {@code text}. */
  public List<String> tokenize(String text) {
    String s = NON_ALPHANUM.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
    List<String> tokens = new ArrayList<>();
    for (String t : SPACES.split(s)) {
      String tok = useStemmer && t.length() > 3 ? NltkPorterStemmer.stem(t) : t;
      if (VALID_TOKEN.matcher(tok).matches()) {
        tokens.add(tok);
      }
    }
    return tokens;
  }

  /** Scores of {@code prediction} against one {@code target} (rouge-score's {@code score}). */
  public Result score(String target, String prediction) {
    List<String> t = tokenize(target);
    List<String> p = tokenize(prediction);
    return new Result(rougeN(t, p, 1), rougeN(t, p, 2), rougeL(t, p));
  }

  /**
   * Scores against several targets: per ROUGE type, the target with the highest F-measure (first
   * one on ties), as rouge-score's {@code score_multi}. The three types may come from different
   * targets.
   */
  public Result scoreMulti(List<String> targets, String prediction) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("ROUGE needs at least one target");
    }
    Result best = null;
    for (String target : targets) {
      Result r = score(target, prediction);
      best =
          best == null
              ? r
              : new Result(
                  better(best.rouge1, r.rouge1),
                  better(best.rouge2, r.rouge2),
                  better(best.rougeL, r.rougeL));
    }
    return best;
  }

  /**
   * Arithmetic mean of each field over examples. rouge-score's {@code BootstrapAggregator} reports
   * a bootstrap-resampled estimate of this same mean (its "mid"), which varies with its random
   * seed; the plain mean is the quantity it estimates.
   */
  public static Result mean(List<Result> results) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no ROUGE results to average");
    }
    double[] acc = new double[9];
    for (Result r : results) {
      Score[] s = {r.rouge1, r.rouge2, r.rougeL};
      for (int k = 0; k < 3; k++) {
        acc[3 * k] += s[k].precision;
        acc[3 * k + 1] += s[k].recall;
        acc[3 * k + 2] += s[k].fmeasure;
      }
    }
    int n = results.size();
    return new Result(
        new Score(acc[0] / n, acc[1] / n, acc[2] / n),
        new Score(acc[3] / n, acc[4] / n, acc[5] / n),
        new Score(acc[6] / n, acc[7] / n, acc[8] / n));
  }

  /** ROUGE-N from clipped n-gram overlap. */
  static Score rougeN(List<String> target, List<String> prediction, int n) {
    Map<List<String>, Integer> t = ngrams(target, n);
    Map<List<String>, Integer> p = ngrams(prediction, n);
    long overlap = 0;
    for (Map.Entry<List<String>, Integer> e : t.entrySet()) {
      overlap += Math.min(e.getValue(), p.getOrDefault(e.getKey(), 0));
    }
    int tCount = Math.max(0, target.size() - n + 1);
    int pCount = Math.max(0, prediction.size() - n + 1);
    double precision = (double) overlap / Math.max(pCount, 1);
    double recall = (double) overlap / Math.max(tCount, 1);
    return Score.of(precision, recall);
  }

  /** ROUGE-L from the longest common subsequence of the token sequences. */
  static Score rougeL(List<String> target, List<String> prediction) {
    if (target.isEmpty() || prediction.isEmpty()) {
      return Score.ZERO;
    }
    int lcs = lcsLength(target, prediction);
    return Score.of((double) lcs / prediction.size(), (double) lcs / target.size());
  }

  static int lcsLength(List<String> a, List<String> b) {
    int[] prev = new int[b.size() + 1];
    int[] cur = new int[b.size() + 1];
    for (int i = 1; i <= a.size(); i++) {
      for (int j = 1; j <= b.size(); j++) {
        cur[j] =
            a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.size()];
  }

  private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
    Map<List<String>, Integer> out = new HashMap<>();
    for (int i = 0; i + n <= tokens.size(); i++) {
      out.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
    }
    return out;
  }

  private static Score better(Score current, Score candidate) {
    return candidate.fmeasure > current.fmeasure ? candidate : current;
  }

  private static double f1(double precision, double recall) {
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }
}
