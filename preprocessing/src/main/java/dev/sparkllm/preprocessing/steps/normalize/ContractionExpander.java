package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.core.Config;
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

  public ContractionExpander(Config section) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected String modify(String text) {
    if (text.indexOf('\'') < 0 && text.indexOf('\u2019') < 0) {
      return text;
    }
    Matcher m = CONTRACTION.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder sb = new StringBuilder(text.length() + 64);
    int last = 0;
    do {
      sb.append(text, last, m.start());
      String whole = m.group();
      boolean caps = isAllCaps(whole);
      String out;
      if (m.group(1) != null) {
        String w = m.group(1).toLowerCase(Locale.ROOT);
        String exp = w.equals("won") ? "will not" : w.equals("can") ? "cannot" : "shall not";
        out = withCase(exp, m.group(1), caps);
      } else if (m.group(2) != null) {
        out = m.group(2) + suffix(" not", caps);
      } else if (m.group(3) != null) {
        out = m.group(3) + suffix(" us", caps);
      } else if (m.group(4) != null) {
        out = m.group(4) + suffix(" is", caps);
      } else if (m.group(5) != null) {
        out = m.group(5) + suffix(" am", caps);
      } else if (m.group(6) != null) {
        out = m.group(6) + suffix(" would", caps);
      } else {
        String tail = m.group(8).toLowerCase(Locale.ROOT);
        String exp = tail.equals("re") ? " are" : tail.equals("ve") ? " have" : " will";
        out = m.group(7) + suffix(exp, caps);
      }
      sb.append(out);
      last = m.end();
    } while (m.find());
    sb.append(text, last, text.length());
    return sb.toString();
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
