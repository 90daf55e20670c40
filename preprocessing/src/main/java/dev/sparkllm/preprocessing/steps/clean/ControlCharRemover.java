package dev.sparkllm.preprocessing.steps.clean;

import dev.sparkllm.preprocessing.steps.TextModifier;

/**
 * Removes characters that print nothing: C0 and C1 controls (except {@code \n} and {@code \t}),
 * DEL, format characters (Unicode category Cf: zero-width space U+200B, word joiner U+2060, BOM
 * U+FEFF, soft hyphen U+00AD, bidi marks) and unpaired surrogates.
 *
 * <p>Line breaks in other spellings are not junk, so {@code \r\n}, {@code \r}, vertical tab, form
 * feed, NEL (U+0085) and the line/paragraph separators U+2028/U+2029 become {@code \n}.
 *
 * <p>Two format characters carry meaning between non-ASCII characters and are kept there: the
 * zero-width joiner/non-joiner U+200D/U+200C inside emoji sequences (👨‍👩‍👧) and in Indic and
 * Persian words, and tag characters U+E0020..E007F after the black flag (🏴 subdivision flags).
 * Between ASCII text they are removed like the others.
 */
public final class ControlCharRemover extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "control_chars";

  public ControlCharRemover() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    int n = text.length();
    int i = 0;
    // Fast path: most documents have nothing to remove; copy nothing until the first hit.
    while (i < n && !suspicious(text.charAt(i))) {
      i++;
    }
    if (i == n) {
      return text;
    }
    StringBuilder sb = new StringBuilder(n);
    boolean changed = false;
    int copied = 0;
    while (i < n) {
      // Copy the clean run before this character in one call.
      sb.append(text, copied, i);
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, text.charAt(i + 1));
          if (Character.getType(cp) != Character.FORMAT || keepTag(text, i, cp)) {
            sb.append(c).append(text.charAt(i + 1));
          } else {
            changed = true;
          }
          i += 2;
        } else {
          changed = true;
          i++;
        }
      } else if (c == '\r') {
        sb.append('\n');
        changed = true;
        i += (i + 1 < n && text.charAt(i + 1) == '\n') ? 2 : 1;
      } else {
        if (c == '\u000B' || c == '\f' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
          sb.append('\n');
          changed = true;
        } else if (Character.isLowSurrogate(c)) {
          changed = true; // a low surrogate reached here has no high surrogate before it
        } else if ((c == '\u200C' || c == '\u200D') && joinsNonAscii(text, i)) {
          sb.append(c);
        } else if (c == '\n' || c == '\t' || !removable(c)) {
          sb.append(c);
        } else {
          changed = true;
        }
        i++;
      }
      copied = i;
      while (i < n && !suspicious(text.charAt(i))) {
        i++;
      }
    }
    sb.append(text, copied, n);
    return changed ? sb.toString() : text;
  }

  /** Everything that might need a closer look; most text has none of it. */
  private static boolean suspicious(char c) {
    if (c < 0x20) {
      return c != '\n' && c != '\t';
    }
    if (c < 0x7F) {
      return false;
    }
    return c <= 0x9F
        || c == 0xAD
        || (c >= 0x0600
            && (Character.isSurrogate(c)
                || c == 0x2028
                || c == 0x2029
                || Character.getType(c) == Character.FORMAT));
  }

  private static boolean removable(char c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || Character.getType(c) == Character.FORMAT;
  }

  private static boolean joinsNonAscii(String text, int i) {
    if (i == 0 || i + 1 >= text.length()) {
      return false;
    }
    int before = text.codePointBefore(i);
    int after = text.codePointAt(i + 1);
    return before > 0x7F
        && after > 0x7F
        && !Character.isWhitespace(before)
        && !Character.isWhitespace(after);
  }

  /** Tag characters spell a subdivision flag only right after U+1F3F4 or another tag. */
  private static boolean keepTag(String text, int i, int cp) {
    if (cp < 0xE0020 || cp > 0xE007F || i == 0) {
      return false;
    }
    int before = text.codePointBefore(i);
    return before == 0x1F3F4 || (before >= 0xE0020 && before <= 0xE007F);
  }
}
