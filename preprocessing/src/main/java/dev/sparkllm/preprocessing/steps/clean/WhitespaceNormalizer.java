package dev.sparkllm.preprocessing.steps.clean;

import dev.sparkllm.preprocessing.steps.TextModifier;

/**
 * Normalizes layout whitespace in one pass: line breaks ({@code \r\n}, {@code \r}, form feed,
 * U+2028...) become {@code \n}; runs of spaces, tabs and other horizontal spaces become one space;
 * lines are trimmed at both ends; at most one blank line separates paragraphs; the document is
 * trimmed.
 *
 * <p>Paragraph structure (blank lines) is kept because later steps read it: Gopher repetition
 * counts duplicate paragraphs, and C4 filtering works line by line.
 */
public final class WhitespaceNormalizer extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "whitespace";

  public WhitespaceNormalizer() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    int n = text.length();
    StringBuilder sb = new StringBuilder(n);
    int newlines = 0;
    boolean space = false;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c > ' ' && c < 0x7F) {
        // Printable ASCII, the usual case: copy the whole run at once.
        int end = i + 1;
        while (end < n && text.charAt(end) > ' ' && text.charAt(end) < 0x7F) {
          end++;
        }
        separate(sb, newlines, space);
        newlines = 0;
        space = false;
        sb.append(text, i, end);
        i = end - 1;
      } else if (c == '\n'
          || c == '\r'
          || c == '\u000B'
          || c == '\f'
          || c == '\u0085'
          || c == '\u2028'
          || c == '\u2029') {
        if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
          i++;
        }
        newlines++;
        space = false;
      } else if (c == ' ' || c == '\t' || Character.isSpaceChar(c) || Character.isWhitespace(c)) {
        space = true;
      } else {
        separate(sb, newlines, space);
        newlines = 0;
        space = false;
        sb.append(c);
      }
    }
    return sb.length() == n && text.contentEquals(sb) ? text : sb.toString();
  }

  /** Writes what separates the next visible character from the previous one. */
  private static void separate(StringBuilder sb, int newlines, boolean space) {
    if (sb.length() > 0) {
      if (newlines > 0) {
        sb.append(newlines == 1 ? "\n" : "\n\n");
      } else if (space) {
        sb.append(' ');
      }
    }
  }
}
