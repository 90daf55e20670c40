package dev.sparkllm.preprocessing.steps.pii;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One precompiled pattern for one PII type: a cheap pre-check on the whole text, a scanner for the
 * positions where a match can start, the candidate regex (tried only there, with {@link
 * Matcher#lookingAt()}) and a validator that decides which part of a candidate is replaced.
 *
 * <p>Why not {@link Matcher#find()}: Java tries a pattern that starts with a look-behind or a
 * character class at every position of the text, about 50 ns per character, which made each
 * detector crawl at ~20 MB/s. A plain loop over characters (or {@link String#indexOf}) finds the
 * few real start positions an order of magnitude faster. The patterns keep their look-behinds
 * (evaluated with transparent bounds), so the start scanners only need to be supersets.
 */
record Detector(
    String type, PreCheck preCheck, Starts starts, Pattern pattern, Validator validator) {

  /** Whether the text can contain a match at all; false skips the detector. */
  @FunctionalInterface
  interface PreCheck {
    boolean test(String text, TextScan scan);
  }

  /** The first position at or after {@code from} where a match may start, or -1. */
  @FunctionalInterface
  interface Starts {
    int next(String text, int from);
  }

  /** A test on the character at {@code i} and its neighbours. */
  @FunctionalInterface
  interface At {
    boolean test(String text, int i);
  }

  /** The group of {@code m} to replace with the placeholder, or -1 to keep the candidate. */
  @FunctionalInterface
  interface Validator {
    int group(Matcher m);
  }

  /** Replaces every validated candidate; adds the number replaced to {@code count[0]}. */
  String redact(String text, String placeholder, int[] count) {
    Matcher m = pattern.matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
    int n = text.length();
    StringBuilder out = null;
    int last = 0;
    int pos = 0;
    int start;
    while (pos < n && (start = starts.next(text, pos)) >= 0) {
      m.region(start, n);
      if (!m.lookingAt()) {
        pos = start + 1;
        continue;
      }
      pos = Math.max(m.end(), start + 1);
      int g = validator.group(m);
      if (g < 0) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(n);
      }
      out.append(text, last, m.start(g)).append(placeholder);
      last = m.end(g);
      count[0]++;
    }
    if (out == null) {
      return text;
    }
    return out.append(text, last, n).toString();
  }

  // ---- start scanners -------------------------------------------------------------------------

  /**
   * Every position whose character is one of {@code first} and where {@code at} holds. The table
   * lookup skips the bulk of the text in this one monomorphic loop; {@code at} (a different lambda
   * per detector, so a megamorphic call) runs only on the rare hits.
   */
  static Starts where(String first, At at) {
    boolean[] table = new boolean[128];
    for (char c : first.toCharArray()) {
      table[c] = true;
    }
    return (text, from) -> {
      for (int i = from, n = text.length(); i < n; i++) {
        char c = text.charAt(i);
        if (c < 128 && table[c] && at.test(text, i)) {
          return i;
        }
      }
      return -1;
    };
  }

  /**
   * Positions up to {@code maxBack} characters of {@code run} before each occurrence of {@code
   * mark} (the start of "84" in "84.17..." for '.', of "2001" in "2001:db8::1" for ':'), where
   * {@code at} holds.
   */
  static Starts before(char mark, String run, int maxBack, At at) {
    boolean[] table = new boolean[128];
    for (char c : run.toCharArray()) {
      table[c] = true;
    }
    return (text, from) -> {
      int k = text.indexOf(mark, from);
      while (k >= 0) {
        int s = k;
        while (s > from && k - s < maxBack) {
          char c = text.charAt(s - 1);
          if (c >= 128 || !table[c]) {
            break;
          }
          s--;
        }
        if (at.test(text, s)) {
          return s;
        }
        k = text.indexOf(mark, k + 1);
      }
      return -1;
    };
  }

  /** Every occurrence of one of the literals (case-sensitive, via the intrinsic indexOf). */
  static Starts literals(String... literals) {
    return (text, from) -> {
      int best = -1;
      for (String l : literals) {
        int i = text.indexOf(l, from);
        if (i >= 0 && (best < 0 || i < best)) {
          best = i;
        }
      }
      return best;
    };
  }

  static boolean isWord(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The character before {@code i}, or a space at the start of the text. */
  static char before(String text, int i) {
    return i == 0 ? ' ' : text.charAt(i - 1);
  }

  /** Counts gathered in one pass over a document, so most detectors can skip it outright. */
  static final class TextScan {
    final int digits;
    final boolean at;
    final int colons;
    final boolean assignment;

    TextScan(String text) {
      int d = 0;
      int c = 0;
      boolean a = false;
      boolean eq = false;
      for (int i = 0, n = text.length(); i < n; i++) {
        char ch = text.charAt(i);
        if (ch >= '0' && ch <= '9') {
          d++;
        } else if (ch == '@') {
          a = true;
        } else if (ch == ':') {
          c++;
        } else if (ch == '=') {
          eq = true;
        }
      }
      digits = d;
      at = a;
      colons = c;
      assignment = eq || c > 0;
    }
  }
}
