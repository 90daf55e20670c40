package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.steps.TextModifier;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps, removes or names emoji and common ASCII emoticons ({@code mode: keep | remove | name}).
 *
 * <p>Java 17 has no {@code Character.isEmoji}, so emoji are found by code point: symbols (category
 * So) in the emoji blocks (Misc Symbols and Pictographs, Emoticons, Transport, Supplemental and
 * Extended-A pictographs, Misc Symbols U+2600, Dingbats U+2700) and the few emoji elsewhere (⌚, ⭐,
 * 🈁...). Text-style symbols such as ©, ™ and ↔ count only when followed by the emoji variation
 * selector U+FE0F. One emoji is a whole sequence: base, skin tone modifier, variation selector, tag
 * characters and further bases joined by ZWJ (👩🏽‍💻 is one emoji), a flag (two regional
 * indicators), or a keycap (1️⃣).
 *
 * <p>Emoticons ({@code :) :-( ;) :D :P <3 </3 :'( :O XD :/ :| ^_^ :*}) count only as a word of
 * their own: after whitespace or at the start, and before whitespace, sentence punctuation or the
 * end.
 *
 * <p>{@code name} writes {@code :name:} from the Unicode character name, lowercased with
 * underscores ({@code 😀} → {@code :grinning_face:}; a ZWJ sequence joins its parts' names; a flag
 * is {@code :flag_us:}, a keycap {@code :keycap_1:}); emoticons get short names ({@code :)} →
 * {@code :smile:}). {@code remove} also drops one space next to the removed emoji, so no double
 * spaces remain.
 */
public final class EmojiHandler extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "emoji";

  private static final Pattern EMOTICON =
      Pattern.compile("(?::-?[)(DPpOo/|*]|;-?\\)|:'\\(|</?3|[xX]D|\\^_\\^)(?=$|[\\s.,!?;])");
  private static final Map<String, String> EMOTICON_NAMES =
      Map.ofEntries(
          Map.entry(":)", "smile"),
          Map.entry(":(", "frown"),
          Map.entry(";)", "wink"),
          Map.entry(":D", "grin"),
          Map.entry(":P", "tongue"),
          Map.entry(":O", "surprised"),
          Map.entry(":/", "confused"),
          Map.entry(":|", "neutral"),
          Map.entry(":*", "kiss"),
          Map.entry(":'(", "cry"),
          Map.entry("<3", "heart"),
          Map.entry("</3", "broken_heart"),
          Map.entry("XD", "laugh"),
          Map.entry("^_^", "happy"));
  private static final Pattern NOT_NAME_CHAR = Pattern.compile("[^a-z0-9]+");

  private static final int ZWJ = 0x200D;
  private static final int VS16 = 0xFE0F;
  private static final int VS15 = 0xFE0E;
  private static final int KEYCAP = 0x20E3;

  enum Mode {
    KEEP,
    REMOVE,
    NAME
  }

  private final Mode mode;

  public EmojiHandler(Config section) {
    super(NAME);
    String m = section.getString("mode");
    switch (m == null ? "" : m) {
      case "keep":
        mode = Mode.KEEP;
        break;
      case "remove":
        mode = Mode.REMOVE;
        break;
      case "name":
        mode = Mode.NAME;
        break;
      default:
        throw new SparkLlmException(
            "preprocess.emoji.mode must be keep, remove or name, got '" + m + "'");
    }
  }

  @Override
  protected String modify(String text) {
    if (mode == Mode.KEEP) {
      return text;
    }
    int n = text.length();
    StringBuilder sb = null;
    Matcher emoticon = null;
    int last = 0;
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      int end = -1;
      String name = null;
      if (c >= 0xA9 || c == '#' || c == '*' || (c >= '0' && c <= '9')) {
        end = emojiEnd(text, i);
        if (end > 0 && mode == Mode.NAME) {
          name = emojiName(text, i, end);
        }
      } else if ((c == ':' || c == ';' || c == '<' || c == '^' || c == 'x' || c == 'X')
          && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
        if (emoticon == null) {
          emoticon = EMOTICON.matcher(text);
        }
        emoticon.region(i, n);
        if (emoticon.lookingAt()) {
          end = emoticon.end();
          if (mode == Mode.NAME) {
            name = ":" + EMOTICON_NAMES.get(emoticonKey(emoticon.group())) + ":";
          }
        }
      }
      if (end < 0) {
        i++;
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(n);
      }
      sb.append(text, last, i);
      if (name != null) {
        sb.append(name);
      } else {
        end = dropSpaceAround(sb, text, end);
      }
      last = end;
      i = end;
    }
    if (sb == null) {
      return text;
    }
    sb.append(text, last, n);
    return sb.toString();
  }

  /** After removing an emoji: returns where to continue, skipping a now-doubled space. */
  private static int dropSpaceAround(StringBuilder sb, String text, int end) {
    int len = sb.length();
    boolean atLineStart = len == 0 || sb.charAt(len - 1) == '\n';
    boolean spaceBefore = len > 0 && (sb.charAt(len - 1) == ' ' || sb.charAt(len - 1) == '\t');
    if (atLineStart || spaceBefore) {
      while (end < text.length() && (text.charAt(end) == ' ' || text.charAt(end) == '\t')) {
        end++;
      }
    }
    if (spaceBefore && (end == text.length() || text.charAt(end) == '\n')) {
      sb.setLength(len - 1);
    }
    return end;
  }

  private static String emoticonKey(String e) {
    String k = e.replace("-", "");
    switch (k) {
      case ":p":
        return ":P";
      case ":o":
        return ":O";
      case "xD":
        return "XD";
      default:
        return k;
    }
  }

  /** End index of the emoji sequence starting at {@code i}, or -1 when none starts there. */
  static int emojiEnd(String text, int i) {
    int n = text.length();
    int cp = text.codePointAt(i);
    if (cp == '#' || cp == '*' || (cp >= '0' && cp <= '9')) {
      int j = i + 1;
      if (j < n && text.charAt(j) == VS16) {
        j++;
      }
      return j < n && text.charAt(j) == KEYCAP ? j + 1 : -1;
    }
    if (isRegionalIndicator(cp)) {
      int j = i + 2;
      return j < n && isRegionalIndicator(text.codePointAt(j)) ? j + 2 : j;
    }
    int j = i + Character.charCount(cp);
    if (textDefault(cp)) {
      if (j >= n || text.charAt(j) != VS16) {
        return -1;
      }
    } else if (!isEmojiBase(cp)) {
      return -1;
    }
    while (j < n) {
      int next = text.codePointAt(j);
      if (next == VS16 || next == VS15 || next == KEYCAP || isSkinTone(next) || isTag(next)) {
        j += Character.charCount(next);
      } else if (next == ZWJ && j + 1 < n) {
        int joined = text.codePointAt(j + 1);
        if (!isEmojiBase(joined) && !textDefault(joined)) {
          break;
        }
        j += 1 + Character.charCount(joined);
      } else {
        break;
      }
    }
    return j;
  }

  /** {@code :name:} for the emoji sequence text[start, end). */
  static String emojiName(String text, int start, int end) {
    int first = text.codePointAt(start);
    StringBuilder name = new StringBuilder(":");
    if (isRegionalIndicator(first) || first == 0x1F3F4 && hasTags(text, start, end)) {
      name.append("flag_");
      for (int i = start; i < end; ) {
        int cp = text.codePointAt(i);
        if (isRegionalIndicator(cp)) {
          name.append((char) ('a' + cp - 0x1F1E6));
        } else if (isTag(cp) && cp != 0xE007F) {
          name.append(Character.toLowerCase((char) (cp - 0xE0000)));
        }
        i += Character.charCount(cp);
      }
      return name.append(':').toString();
    }
    if (first < 0x80) {
      return ":keycap_" + (char) first + ":";
    }
    for (int i = start; i < end; ) {
      int cp = text.codePointAt(i);
      if (cp != ZWJ && cp != VS16 && cp != VS15 && !isSkinTone(cp) && !isTag(cp)) {
        String part = Character.getName(cp);
        if (part != null) {
          if (name.length() > 1) {
            name.append('_');
          }
          name.append(NOT_NAME_CHAR.matcher(part.toLowerCase(Locale.ROOT)).replaceAll("_"));
        }
      }
      i += Character.charCount(cp);
    }
    return name.append(':').toString();
  }

  private static boolean hasTags(String text, int start, int end) {
    int j = start + 2;
    return j < end && isTag(text.codePointAt(j));
  }

  static boolean isEmojiBase(int cp) {
    if (cp >= 0x1F3FB && cp <= 0x1F3FF) {
      return true; // a skin tone on its own still shows as a colour swatch
    }
    boolean inBlock =
        (cp >= 0x1F300 && cp <= 0x1F6FF)
            || (cp >= 0x1F900 && cp <= 0x1F9FF)
            || (cp >= 0x1FA70 && cp <= 0x1FAFF)
            || (cp >= 0x1F7E0 && cp <= 0x1F7EB)
            || (cp >= 0x2600 && cp <= 0x27BF)
            || (cp >= 0x1F170 && cp <= 0x1F19A)
            || (cp >= 0x1F200 && cp <= 0x1F251)
            || cp == 0x1F004
            || cp == 0x1F0CF;
    if (inBlock) {
      return Character.getType(cp) == Character.OTHER_SYMBOL;
    }
    return cp == 0x231A
        || cp == 0x231B
        || cp == 0x2328
        || cp == 0x23CF
        || (cp >= 0x23E9 && cp <= 0x23F3)
        || (cp >= 0x23F8 && cp <= 0x23FA)
        || (cp >= 0x2B05 && cp <= 0x2B07)
        || cp == 0x2B1B
        || cp == 0x2B1C
        || cp == 0x2B50
        || cp == 0x2B55
        || cp == 0x3030
        || cp == 0x303D
        || cp == 0x3297
        || cp == 0x3299;
  }

  /** Symbols that are emoji only when followed by U+FE0F; plain text otherwise. */
  private static boolean textDefault(int cp) {
    return cp == 0xA9
        || cp == 0xAE
        || cp == 0x203C
        || cp == 0x2049
        || cp == 0x2122
        || cp == 0x2139
        || (cp >= 0x2194 && cp <= 0x2199)
        || cp == 0x21A9
        || cp == 0x21AA
        || cp == 0x24C2
        || cp == 0x25AA
        || cp == 0x25AB
        || cp == 0x25B6
        || cp == 0x25C0
        || (cp >= 0x25FB && cp <= 0x25FE)
        || cp == 0x2934
        || cp == 0x2935;
  }

  private static boolean isRegionalIndicator(int cp) {
    return cp >= 0x1F1E6 && cp <= 0x1F1FF;
  }

  private static boolean isSkinTone(int cp) {
    return cp >= 0x1F3FB && cp <= 0x1F3FF;
  }

  private static boolean isTag(int cp) {
    return cp >= 0xE0020 && cp <= 0xE007F;
  }
}
