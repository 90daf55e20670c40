package dev.sparkllm.evaluation.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Corpus BLEU (Papineni et al., 2002) computed the way sacreBLEU 2.x does, so scores are comparable
 * with published numbers. Defaults are sacreBLEU's: {@code 13a} tokenization, case-sensitive,
 * 4-gram, {@code exp} smoothing, closest reference length for the brevity penalty, no effective
 * order. Signature of the defaults: {@code nrefs:N|case:mixed|eff:no|tok:13a|
 * smooth:exp|version:2.x}.
 *
 * <p>Statistics are summed over the corpus before the score is taken: corpus BLEU is not the mean
 * of sentence BLEU.
 */
public final class Bleu {
  /** sacreBLEU's smoothing methods (Chen and Cherry, 2014). */
  public enum Smoothing {
    /** No smoothing. */
    NONE,
    /** Method 1: zero counts replaced by {@code smoothValue} (default 0.1). */
    FLOOR,
    /** Method 2: {@code smoothValue} (default 1) added to counts and totals for n &gt; 1. */
    ADD_K,
    /** Method 3, NIST/mteval-v13a: the k-th zero-count order gets precision 1/(2^k total). */
    EXP
  }

  /** Tokenizers: sacreBLEU's default {@code 13a}, or {@code none} for pre-tokenized text. */
  public enum Tokenize {
    THIRTEEN_A,
    NONE
  }

  /**
   * Sufficient statistics and the score, mirroring sacreBLEU's {@code BLEUScore}.
   *
   * @param score BLEU in [0, 100]
   * @param counts matched n-grams per order (clipped by the maximum count in any reference)
   * @param totals hypothesis n-grams per order
   * @param precisions per order, in percent, after smoothing
   * @param bp brevity penalty
   * @param sysLen total hypothesis tokens
   * @param refLen total closest-reference tokens
   */
  public record Score(
      double score,
      List<Long> counts,
      List<Long> totals,
      List<Double> precisions,
      double bp,
      long sysLen,
      long refLen) {
    /** {@code sys_len / ref_len}, 0 when there is no reference token (as sacreBLEU). */
    public double ratio() {
      return refLen == 0 ? 0.0 : (double) sysLen / refLen;
    }
  }

  private static final int DEFAULT_MAX_ORDER = 4;

  private final boolean lowercase;
  private final Tokenize tokenize;
  private final Smoothing smoothing;
  private final Double smoothValue;
  private final int maxOrder;
  private final boolean effectiveOrder;

  /**
   * @param smoothValue for FLOOR/ADD_K; null takes sacreBLEU's default (0.1 / 1)
   * @param effectiveOrder drop orders with no hypothesis n-gram (sacreBLEU recommends it for
   *     sentence-level BLEU only)
   */
  public Bleu(
      boolean lowercase,
      Tokenize tokenize,
      Smoothing smoothing,
      Double smoothValue,
      int maxOrder,
      boolean effectiveOrder) {
    this.lowercase = lowercase;
    this.tokenize = Objects.requireNonNull(tokenize, "You must specify a tokenizer");
    this.smoothing = Objects.requireNonNull(smoothing, "You must specify a smoothing method");
    this.smoothValue = smoothValue;
    if (maxOrder < 1) {
      throw new IllegalArgumentException("BLEU max n-gram order must be >= 1, got " + maxOrder);
    }
    this.maxOrder = maxOrder;
    this.effectiveOrder = effectiveOrder;
  }

  /** sacreBLEU's {@code BLEU()} defaults. */
  public static Bleu sacreBleuDefaults() {
    return new Bleu(false, Tokenize.THIRTEEN_A, Smoothing.EXP, null, DEFAULT_MAX_ORDER, false);
  }

  /**
   * Corpus BLEU.
   *
   * @param hypotheses one string per segment; empty hypotheses count (they shorten sys_len)
   * @param references for each hypothesis, its references (any number; null or empty ones are
   *     dropped as sacreBLEU does, but at least one non-empty reference is required)
   */
  public Score corpusScore(List<String> hypotheses, List<List<String>> references) {
    if (hypotheses.size() != references.size()) {
      throw new IllegalArgumentException(
          "BLEU needs one reference list per hypothesis: "
              + hypotheses.size()
              + " hypotheses, "
              + references.size()
              + " reference lists");
    }
    long[] stats = new long[2 + 2 * maxOrder];
    for (int i = 0; i < hypotheses.size(); i++) {
      long[] seg = segmentStatistics(hypotheses.get(i), references.get(i), i);
      for (int k = 0; k < stats.length; k++) {
        stats[k] += seg[k];
      }
    }
    long[] counts = new long[maxOrder];
    long[] totals = new long[maxOrder];
    System.arraycopy(stats, 2, counts, 0, maxOrder);
    System.arraycopy(stats, 2 + maxOrder, totals, 0, maxOrder);
    return fromStatistics(counts, totals, stats[0], stats[1]);
  }

  /** BLEU of a single segment (use {@code effectiveOrder=true} for meaningful values). */
  public Score sentenceScore(String hypothesis, List<String> references) {
    return corpusScore(List.of(hypothesis), List.of(references));
  }

  /** The score from summed statistics (sacreBLEU's {@code compute_bleu}) with this smoothing. */
  public Score fromStatistics(long[] counts, long[] totals, long sysLen, long refLen) {
    if (counts.length != maxOrder || totals.length != maxOrder) {
      throw new IllegalArgumentException("counts and totals must have " + maxOrder + " entries");
    }
    double bp;
    if (sysLen < refLen) {
      bp = sysLen > 0 ? Math.exp(1.0 - (double) refLen / sysLen) : 0.0;
    } else {
      bp = 1.0;
    }
    double[] precisions = new double[maxOrder];
    boolean anyMatch = false;
    for (long c : counts) {
      anyMatch |= c != 0;
    }
    if (!anyMatch) {
      // sacreBLEU's early exit (its issue #141): no match at any order is 0 whatever the smoothing.
      return new Score(0.0, boxed(counts), boxed(totals), boxed(precisions), bp, sysLen, refLen);
    }
    double value = smoothValue != null ? smoothValue : defaultSmoothValue(smoothing);
    double[] correct = new double[maxOrder];
    double[] total = new double[maxOrder];
    for (int k = 0; k < maxOrder; k++) {
      correct[k] = counts[k];
      total[k] = totals[k];
    }
    double smoothMteval = 1.0;
    int effOrder = maxOrder;
    for (int n = 1; n <= maxOrder; n++) {
      if (smoothing == Smoothing.ADD_K && n > 1) {
        correct[n - 1] += value;
        total[n - 1] += value;
      }
      if (total[n - 1] == 0) {
        break;
      }
      if (effectiveOrder) {
        effOrder = n;
      }
      if (correct[n - 1] == 0) {
        if (smoothing == Smoothing.EXP) {
          smoothMteval *= 2;
          precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]);
        } else if (smoothing == Smoothing.FLOOR) {
          precisions[n - 1] = 100.0 * value / total[n - 1];
        }
      } else {
        precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
      }
    }
    double logSum = 0.0;
    for (int k = 0; k < effOrder; k++) {
      logSum += flooredLog(precisions[k]);
    }
    double score = bp * Math.exp(logSum / effOrder);
    return new Score(score, boxed(counts), boxed(totals), boxed(precisions), bp, sysLen, refLen);
  }

  /** The segment as the n-gram counter sees it: optional lowercasing, then the tokenizer. */
  public String preprocess(String segment) {
    String s = lowercase ? segment.toLowerCase(Locale.ROOT) : segment;
    s = PythonText.rstrip(s);
    return tokenize == Tokenize.THIRTEEN_A ? Tokenizer13a.tokenize(s) : s;
  }

  private long[] segmentStatistics(String hypothesis, List<String> references, int index) {
    Objects.requireNonNull(hypothesis, () -> "BLEU hypothesis " + index + " is null");
    Map<String, Integer> refMax = new HashMap<>();
    List<Integer> refLens = new ArrayList<>();
    for (String ref : references) {
      if (ref == null || ref.isEmpty()) {
        continue;
      }
      List<String> tokens = PythonText.split(preprocess(ref));
      refLens.add(tokens.size());
      ngrams(tokens).forEach((g, c) -> refMax.merge(g, c, Math::max));
    }
    if (refLens.isEmpty()) {
      throw new IllegalArgumentException(
          "BLEU hypothesis " + index + " has no non-empty reference");
    }
    List<String> hyp = PythonText.split(preprocess(hypothesis));
    long[] stats = new long[2 + 2 * maxOrder];
    stats[0] = hyp.size();
    stats[1] = closestRefLen(hyp.size(), refLens);
    for (Map.Entry<String, Integer> e : ngrams(hyp).entrySet()) {
      int n = order(e.getKey());
      stats[2 + maxOrder + n - 1] += e.getValue();
      Integer ref = refMax.get(e.getKey());
      if (ref != null) {
        stats[2 + n - 1] += Math.min(e.getValue(), ref);
      }
    }
    return stats;
  }

  /** Closest reference length; ties go to the shorter reference (sacreBLEU's 'closest'). */
  static int closestRefLen(int hypLen, List<Integer> refLens) {
    int bestDiff = -1;
    int best = -1;
    for (int len : refLens) {
      int diff = Math.abs(hypLen - len);
      if (bestDiff == -1 || diff < bestDiff) {
        bestDiff = diff;
        best = len;
      } else if (diff == bestDiff && len < best) {
        best = len;
      }
    }
    return best;
  }

  // Tokens never contain whitespace, so a space-joined key is unambiguous and encodes the order.
  private Map<String, Integer> ngrams(List<String> tokens) {
    Map<String, Integer> out = new HashMap<>();
    for (int n = 1; n <= maxOrder; n++) {
      for (int i = 0; i + n <= tokens.size(); i++) {
        out.merge(String.join(" ", tokens.subList(i, i + n)), 1, Integer::sum);
      }
    }
    return out;
  }

  private static int order(String ngram) {
    int n = 1;
    for (int i = 0; i < ngram.length(); i++) {
      if (ngram.charAt(i) == ' ') {
        n++;
      }
    }
    return n;
  }

  private static double defaultSmoothValue(Smoothing smoothing) {
    return switch (smoothing) {
      case FLOOR -> 0.1;
      case ADD_K -> 1.0;
      default -> 0.0;
    };
  }

  // sacreBLEU's my_log: log(0) is floored so that one zero precision gives a score of 0, not NaN.
  private static double flooredLog(double x) {
    return x == 0.0 ? -9999999999.0 : Math.log(x);
  }

  private static List<Long> boxed(long[] a) {
    List<Long> out = new ArrayList<>(a.length);
    for (long v : a) {
      out.add(v);
    }
    return List.copyOf(out);
  }

  private static List<Double> boxed(double[] a) {
    List<Double> out = new ArrayList<>(a.length);
    for (double v : a) {
      out.add(v);
    }
    return List.copyOf(out);
  }
}
