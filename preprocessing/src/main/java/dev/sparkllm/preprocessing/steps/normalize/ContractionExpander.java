package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.preprocessing.steps.TextModifier;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands English contractions, with the straight {@code '} or the curly {@code ’} apostrophe:
 *
 * <ul>
 *   <li>{@code won't} → {@code will not}, {@code can't} → {@code cannot}, {@code shan't} → {@code
 *       shall not}, other {@code n't} → {@code not} ({@code don't} → {@code do not})
 *   <li>{@code 're} → {@code are}, {@code 've} → {@code have}, {@code 'll} → {@code will}, {@code
 *       I'm} → {@code I am}
 *   <li>{@code 'd} after a personal pronoun → {@code would} ({@code I'd} → {@code I would})
 *   <li>{@code 's} after it, that, what, there, here, he, she, who, where, how → {@code is}; {@code
 *       let's} → {@code let us}. Other {@code 's} is a possessive and stays.
 * </ul>
 *
 * The case of the first letter is kept ({@code Won't} → {@code Will not}); a contraction written in
 * capitals expands in capitals ({@code DON'T} → {@code DO NOT}). {@code 'd} and {@code 's} are
 * ambiguous (had/would, is/has); the common reading is used.
 */
public final class ContractionExpander extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "contraction_expansion";

  private static final String APOS = "['\u2019]";
  // Alternatives are tried in order at each position, so the irregular forms win over "n't".
  private static final Pattern CONTRACTION =
      Pattern.compile(
          "(?iU)\\b(?:"
              + "(won|can|shan)"
              + APOS
              + "t"
              + "|(\\p{L}+)n"
              + APOS
              + "t"
              + "|(let)"
              + APOS
              + "s"
              + "|(it|that|what|there|here|he|she|who|where|how)"
              + APOS
              + "s"
              + "|(i)"
              + APOS
              + "m"
              + "|(i|you|he|she|we|they)"
              + APOS
              + "d"
              + "|(\\p{L}+)"
              + APOS
              + "(re|ve|ll)"
              + ")\\b");

  public ContractionExpander() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    if (text.indexOf('\'') < 0 && text.indexOf('\u2019') < 0) {
      return text;
    }
    // Match only at the word before each apostrophe instead of scanning every position: the
    // pattern starts with a letter run and ends at most 3 characters after the apostrophe.
    Matcher m = CONTRACTION.matcher(text);
    m.useTransparentBounds(true);
    m.useAnchoringBounds(false);
    int n = text.length();
    StringBuilder sb = null;
    int last = 0;
    for (int a = 0; a < n; a++) {
      char apostrophe = text.charAt(a);
      if (apostrophe != '\'' && apostrophe != '\u2019') {
        continue;
      }
      int start = a;
      while (start > last && Character.isLetter(text.charAt(start - 1))) {
        start--;
      }
      if (start == a) {
        continue;
      }
      m.region(start, Math.min(n, a + 3));
      if (!m.lookingAt()) {
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(n + 64);
      }
      sb.append(text, last, start);
      sb.append(expansion(m));
      last = m.end();
      a = last - 1;
    }
    if (sb == null) {
      return text;
    }
    sb.append(text, last, n);
    return sb.toString();
  }

  private static String expansion(Matcher m) {
    boolean caps = isAllCaps(m.group());
    if (m.group(1) != null) {
      String w = m.group(1).toLowerCase(Locale.ROOT);
      String exp = w.equals("won") ? "will not" : w.equals("can") ? "cannot" : "shall not";
      return withCase(exp, m.group(1), caps);
    } else if (m.group(2) != null) {
      return m.group(2) + suffix(" not", caps);
    } else if (m.group(3) != null) {
      return m.group(3) + suffix(" us", caps);
    } else if (m.group(4) != null) {
      return m.group(4) + suffix(" is", caps);
    } else if (m.group(5) != null) {
      return m.group(5) + suffix(" am", caps);
    } else if (m.group(6) != null) {
      return m.group(6) + suffix(" would", caps);
    }
    String tail = m.group(8).toLowerCase(Locale.ROOT);
    String exp = tail.equals("re") ? " are" : tail.equals("ve") ? " have" : " will";
    return m.group(7) + suffix(exp, caps);
  }

  /** True for DON'T, not for Don't or I'm (a lone capital I says nothing about the rest). */
  private static boolean isAllCaps(String s) {
    int letters = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isLetter(c)) {
        if (!Character.isUpperCase(c)) {
          return false;
        }
        letters++;
      }
    }
    return letters >= 2;
  }

  private static String suffix(String s, boolean caps) {
    return caps ? s.toUpperCase(Locale.ROOT) : s;
  }

  private static String withCase(String exp, String original, boolean caps) {
    if (caps) {
      return exp.toUpperCase(Locale.ROOT);
    }
    if (Character.isUpperCase(original.charAt(0))) {
      return Character.toUpperCase(exp.charAt(0)) + exp.substring(1);
    }
    return exp;
  }
}
