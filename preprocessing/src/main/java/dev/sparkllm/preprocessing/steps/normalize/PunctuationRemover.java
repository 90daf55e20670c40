package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.preprocessing.steps.TextModifier;

/**
 * Removes punctuation (Unicode categories Pc, Pd, Ps, Pe, Pi, Pf, Po), keeping the line and
 * paragraph structure.
 *
 * <p>Inside a word, dashes, underscores and slashes separate words ({@code well-known} → {@code
 * well known}, {@code and/or} → {@code and or}); other marks join ({@code don't} → {@code dont},
 * {@code U.S} → {@code US}, {@code 1,000} → {@code 1000}). Spaces left doubled by a removed mark
 * ({@code a - b}) collapse to one, and lines are not left with spaces at either end.
 */
public final class PunctuationRemover extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "punctuation_removal";

  public PunctuationRemover() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    int n = text.length();
    StringBuilder sb = null;
    boolean pendingSpace = false;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      int type = Character.getType(c);
      boolean punct = isPunctuation(type);
      if (sb == null) {
        if (!punct) {
          continue;
        }
        sb = new StringBuilder(n);
        sb.append(text, 0, i);
      }
      if (punct) {
        if (separatesWords(c, type)
            && i > 0
            && i + 1 < n
            && Character.isLetterOrDigit(text.charAt(i - 1))
            && Character.isLetterOrDigit(text.charAt(i + 1))) {
          pendingSpace = true;
        }
        continue;
      }
      if (c == ' ') {
        pendingSpace = true;
        continue;
      }
      if (c == '\n') {
        pendingSpace = false;
      } else if (pendingSpace) {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) != '\n' && sb.charAt(len - 1) != ' ') {
          sb.append(' ');
        }
        pendingSpace = false;
      }
      sb.append(c);
    }
    return sb == null ? text : sb.toString();
  }

  private static boolean isPunctuation(int type) {
    switch (type) {
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
        return true;
      default:
        return false;
    }
  }

  private static boolean separatesWords(char c, int type) {
    return type == Character.DASH_PUNCTUATION
        || type == Character.CONNECTOR_PUNCTUATION
        || c == '/'
        || c == '\\';
  }
}
