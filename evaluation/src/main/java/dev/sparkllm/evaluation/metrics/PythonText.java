package dev.sparkllm.evaluation.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Python {@code str} semantics the reference metric packages rely on. Java's own notion of
 * whitespace differs (it excludes U+00A0, U+2007, U+202F and includes nothing Python lacks), and a
 * different split would change token counts and therefore scores.
 */
final class PythonText {
  private PythonText() {}

  /** {@code str.isspace()} for one code point: bidi class WS/B/S or category Zs. */
  static boolean isSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || (cp >= 0x1C && cp <= 0x20)
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /** {@code str.split()} with no separator. */
  static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    int start = -1;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      if (isSpace(cp)) {
        if (start >= 0) {
          out.add(s.substring(start, i));
          start = -1;
        }
      } else if (start < 0) {
        start = i;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) {
      out.add(s.substring(start));
    }
    return out;
  }

  /** {@code str.rstrip()} with no argument. */
  static String rstrip(String s) {
    int end = s.length();
    while (end > 0) {
      int cp = s.codePointBefore(end);
      if (!isSpace(cp)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return s.substring(0, end);
  }
}
