package dev.sparkllm.preprocessing.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level pre-tokenization, written to split text exactly as Hugging Face's {@code
 * ByteLevel} pre-tokenizer ({@code add_prefix_space=false, use_regex=true}) does, so that the words
 * counted for training are the words the Rust encoder later sees.
 *
 * <p>The regex is GPT-2's. Hugging Face runs it with Oniguruma, whose {@code \s}, {@code \p{L}} and
 * {@code \p{N}} are Unicode-aware; Java needs {@code (?U)} for {@code \s} to mean Unicode
 * White_Space rather than ASCII whitespace (without it U+00A0 or U+3000 would split differently).
 */
public final class ByteLevel {
  /** GPT-2's pre-tokenization pattern, as in HF tokenizers' ByteLevel pre-tokenizer. */
  public static final String GPT2_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  private static final Pattern PRETOKEN = Pattern.compile("(?U)" + GPT2_PATTERN);

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[512];

  static {
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to
    // U+0100.. in byte order, so every byte becomes one visible, non-space character.
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      char c = printable ? (char) b : (char) (256 + n++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevel() {}

  /** The character standing for byte {@code b} (0..255). */
  public static char byteChar(int b) {
    return BYTE_TO_CHAR[b & 0xff];
  }

  /** The byte a byte-level character stands for, or -1 if it is not one. */
  public static int charByte(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** The 256 byte-level characters sorted by code point (HF's trainer orders its alphabet so). */
  public static List<String> alphabet() {
    char[] chars = BYTE_TO_CHAR.clone();
    java.util.Arrays.sort(chars);
    List<String> out = new ArrayList<>(256);
    for (char c : chars) {
      out.add(String.valueOf(c));
    }
    return out;
  }

  /** UTF-8 bytes of {@code s} spelled as byte-level characters. */
  public static String toByteLevel(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
    }
    return new String(out);
  }

  /** Inverse of {@link #toByteLevel}: the UTF-8 bytes a byte-level token stands for. */
  public static byte[] fromByteLevel(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < out.length; i++) {
      int b = charByte(token.charAt(i));
      if (b < 0) {
        throw new IllegalArgumentException("not a byte-level token: " + token);
      }
      out[i] = (byte) b;
    }
    return out;
  }

  /**
   * Replaces every unpaired UTF-16 surrogate with U+FFFD. Java strings may hold them, UTF-8 cannot:
   * Java's encoder would write '?' and DJL's JNI bridge mangles the whole string (it falls back to
   * a lossy decode of Java's modified UTF-8, destroying every emoji in it). Rust's {@code
   * String::from_utf16_lossy} does the same replacement, so this is what "the text" means for
   * training, encoding and round trips.
   */
  public static String sanitize(String s) {
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          i += 2;
          continue;
        }
        return sanitizeFrom(s, i);
      }
      i++;
    }
    return s;
  }

  private static String sanitizeFrom(String s, int start) {
    StringBuilder sb = new StringBuilder(s.length());
    sb.append(s, 0, start);
    int n = s.length();
    for (int i = start; i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append('\uFFFD');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Calls {@code sink} with every GPT-2 pre-token of {@code text} (raw, not byte-level), skipping
   * occurrences of {@code specials}: the encoder matches special tokens before pre-tokenizing, so
   * they never take part in merges. {@code text} must already be {@link #sanitize sanitized}.
   */
  public static void preTokenize(String text, List<String> specials, Consumer<String> sink) {
    int from = 0;
    while (from < text.length()) {
      int next = text.length();
      int len = 0;
      for (String sp : specials) {
        int at = text.indexOf(sp, from);
        if (at >= 0 && (at < next || (at == next && sp.length() > len))) {
          next = at;
          len = sp.length();
        }
      }
      splitRegex(text, from, next, sink);
      from = next + len;
    }
  }

  private static void splitRegex(String text, int from, int to, Consumer<String> sink) {
    if (from >= to) {
      return;
    }
    Matcher m = PRETOKEN.matcher(text);
    m.region(from, to);
    // Lookahead (?!\S) must not see past the region end, as HF splits around specials first.
    m.useTransparentBounds(false);
    m.useAnchoringBounds(false);
    while (m.find()) {
      sink.accept(text.substring(m.start(), m.end()));
    }
  }

  /** Pre-tokens of {@code text} as a list (tests, small inputs). */
  public static List<String> preTokens(String text, List<String> specials) {
    List<String> out = new ArrayList<>();
    preTokenize(sanitize(text), specials, out::add);
    return out;
  }
}
