package dev.sparkllm.preprocessing.steps.filters;

/**
 * Word tokenization shared by the Gopher filters, close to NLTK's {@code word_tokenize} that
 * datatrove uses: a word is a run of letters, digits and combining marks, with inner apostrophes,
 * hyphens, periods and commas kept when a letter or digit follows ({@code don't}, {@code
 * well-known}, {@code 3.5}, {@code 1,000}, {@code U.S}); every other non-space character is a
 * punctuation/symbol token, a run of the same character being one token ({@code ...}, {@code --},
 * {@code ''}).
 *
 * <p>Tokens are kept as offsets into the text, so counting them allocates no strings.
 */
final class Tokens {
  final String text;
  int[] start;
  int[] end;
  int size;

  private Tokens(String text, int capacity) {
    this.text = text;
    this.start = new int[capacity];
    this.end = new int[capacity];
  }

  // ASCII character classes, so the common case needs no Unicode table lookups.
  private static final byte SPACE = 0;
  private static final byte WORD = 1;
  private static final byte OTHER = 2;
  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] =
          Character.isWhitespace(c) || Character.isSpaceChar(c)
              ? SPACE
              : Character.isLetterOrDigit(c) ? WORD : OTHER;
    }
  }

  private static byte classOf(int cp) {
    if (cp < 128) {
      return ASCII[cp];
    }
    if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
      return SPACE;
    }
    return isWordChar(cp) ? WORD : OTHER;
  }

  static Tokens of(String text) {
    int n = text.length();
    Tokens t = new Tokens(text, Math.max(16, n / 4));
    int i = 0;
    while (i < n) {
      char ch = text.charAt(i);
      int cp = Character.isHighSurrogate(ch) ? text.codePointAt(i) : ch;
      byte cls = classOf(cp);
      if (cls == SPACE) {
        i += Character.charCount(cp);
        continue;
      }
      int s = i;
      i += Character.charCount(cp);
      if (cls == WORD) {
        while (i < n) {
          char c = text.charAt(i);
          int next = Character.isHighSurrogate(c) ? text.codePointAt(i) : c;
          if (classOf(next) == WORD) {
            i += Character.charCount(next);
          } else if (isInnerJoiner(next) && i + 1 < n && classOf(text.charAt(i + 1)) == WORD) {
            i += 1;
          } else {
            break;
          }
        }
      } else {
        while (i < n && text.codePointAt(i) == cp) {
          i += Character.charCount(cp);
        }
      }
      t.add(s, i);
    }
    return t;
  }

  private void add(int s, int e) {
    if (size == start.length) {
      start = java.util.Arrays.copyOf(start, size * 2);
      end = java.util.Arrays.copyOf(end, size * 2);
    }
    start[size] = s;
    end[size] = e;
    size++;
  }

  int length(int k) {
    return end[k] - start[k];
  }

  /** A word, as opposed to a punctuation or symbol token. */
  boolean isWord(int k) {
    return isWordChar(text.codePointAt(start[k]));
  }

  /** Whether token k has at least one alphabetic character. */
  boolean hasLetter(int k) {
    for (int i = start[k]; i < end[k]; i++) {
      if (Character.isLetter(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  boolean equalsAt(int k, String s) {
    return length(k) == s.length() && text.regionMatches(start[k], s, 0, s.length());
  }

  /** 64-bit hash of token k's characters (FNV-1a, then a murmur finalizer). */
  long hash(int k) {
    long h = 0xcbf29ce484222325L;
    for (int i = start[k]; i < end[k]; i++) {
      h = (h ^ text.charAt(i)) * 0x100000001b3L;
    }
    return mix(h);
  }

  static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  static boolean isWordChar(int cp) {
    if (Character.isLetterOrDigit(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK
        || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK;
  }

  private static boolean isInnerJoiner(int cp) {
    return cp == '\'' || cp == '\u2019' || cp == '-' || cp == '.' || cp == ',';
  }
}
