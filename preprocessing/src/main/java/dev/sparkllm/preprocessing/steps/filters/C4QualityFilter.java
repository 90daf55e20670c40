package dev.sparkllm.preprocessing.steps.filters;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.NamedStep;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * C4 cleaning rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
 * Text-to-Text Transformer", section 2.2), as in datatrove's {@code C4QualityFilter}. Unlike the
 * other filters this step rewrites the text: it keeps only the lines that pass, in order.
 *
 * <table>
 *   <caption>Rules and defaults</caption>
 *   <tr><th>rule (config key, default)</th><th>effect</th></tr>
 *   <tr><td>a word longer than max_word_length (1000)</td><td>line removed</td></tr>
 *   <tr><td>no terminal punctuation, or ends with "..." (filter_no_terminal_punct, true)</td>
 *       <td>line removed</td></tr>
 *   <tr><td>fewer than min_words_per_line words (3)</td><td>line removed</td></tr>
 *   <tr><td>"lorem ipsum" (filter_lorem_ipsum, true)</td><td>document rejected: lorem_ipsum</td></tr>
 *   <tr><td>"javascript" (filter_javascript, true)</td><td>line removed</td></tr>
 *   <tr><td>a curly bracket "{" (filter_curly_bracket, true)</td>
 *       <td>document rejected: curly_bracket</td></tr>
 *   <tr><td>"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
 *       "use cookies" (filter_policy, true)</td><td>line removed</td></tr>
 *   <tr><td>fewer than min_sentences sentences in the kept lines (5)</td>
 *       <td>document rejected: too_few_sentences</td></tr>
 *   <tr><td>no line kept</td><td>document rejected: empty</td></tr>
 * </table>
 *
 * <p>Rules apply in this order to each stripped line, and only lines that survived the line rules
 * can reject the document (a "{" in a line without terminal punctuation is just removed), as in
 * datatrove. With remove_citations, Wikipedia-style markers ({@code [1]}, {@code [edit]}, {@code
 * [citation needed]}) are deleted from lines first.
 *
 * <p>Terminal punctuation is {@code . ! ? " ' ” ’}: C4's list plus the curly closing quotes, so
 * edited prose ending a line with a closing quote is kept; a closing bracket after {@code . ! ?}
 * ({@code "(See chapter 2.)"}) also ends a line properly. Sentences are counted per kept line
 * (NLTK's Punkt in datatrove) by a light rule: a run of {@code .!?}, optional closing quotes or
 * brackets, whitespace, then an uppercase letter, digit or opening quote starts a new sentence,
 * unless the period ends a common abbreviation (Mr., Dr., U.S.) or a single initial.
 *
 * <p>Blank lines between kept lines are kept (one at most), so paragraphs survive; datatrove joins
 * kept lines with single newlines. A threshold of 0 (or -1, as in datatrove) turns its rule off.
 */
public final class C4QualityFilter extends NamedStep {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "c4_quality";

  private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
  private static final String[] POLICY = {
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies"
  };
  private static final Set<String> ABBREVIATIONS =
      Set.of(
          "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co",
          "corp", "gen", "gov", "sen", "rep", "rev", "lt", "col", "capt", "sgt", "mt", "ft", "no",
          "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "e.g", "i.e",
          "u.s", "u.k", "a.m", "p.m", "fig", "vol", "pp", "ed", "mass", "calif", "ave");

  private final boolean filterNoTerminalPunct;
  private final int minWordsPerLine;
  private final int minSentences;
  private final int maxWordLength;
  private final boolean filterLoremIpsum;
  private final boolean filterJavascript;
  private final boolean filterCurlyBracket;
  private final boolean filterPolicy;
  private final boolean removeCitations;

  public C4QualityFilter(Config section) {
    super(NAME);
    filterNoTerminalPunct = section.getBoolean("filter_no_terminal_punct");
    minWordsPerLine = section.getInt("min_words_per_line");
    minSentences = section.getInt("min_sentences");
    maxWordLength = section.getInt("max_word_length");
    filterLoremIpsum = section.getBoolean("filter_lorem_ipsum");
    filterJavascript = section.getBoolean("filter_javascript");
    filterCurlyBracket = section.getBoolean("filter_curly_bracket");
    filterPolicy = section.getBoolean("filter_policy");
    removeCitations = section.getBoolean("remove_citations");
  }

  @Override
  public String apply(Document doc) {
    String text = doc.text;
    int n = text.length();
    StringBuilder kept = new StringBuilder(n);
    boolean blankPending = false;
    int sentences = 0;
    int s = 0;
    while (s <= n) {
      int e = text.indexOf('\n', s);
      if (e < 0) {
        e = n;
      }
      String line = text.substring(s, e).strip();
      s = e + 1;
      if (line.isEmpty()) {
        blankPending = kept.length() > 0;
        continue;
      }
      String verdict = judge(line);
      if (verdict == DROP) {
        continue;
      }
      if (verdict != KEEP && verdict != null) {
        return verdict;
      }
      String cleaned = verdict == null ? line : cleanCitations(line);
      if (kept.length() > 0) {
        kept.append(blankPending ? "\n\n" : "\n");
      }
      blankPending = false;
      kept.append(cleaned);
      sentences += countSentences(cleaned);
    }
    if (minSentences > 0 && sentences < minSentences) {
      return "too_few_sentences";
    }
    if (kept.length() == 0) {
      doc.text = "";
      return "empty";
    }
    if (!text.contentEquals(kept)) {
      doc.text = kept.toString();
    }
    return null;
  }

  private static final String DROP = "\0drop";
  private static final String KEEP = "\0keep";

  /**
   * DROP to remove the line, a reason to reject the document, KEEP to keep it (citations to be
   * cleaned), or null to keep it as is.
   */
  private String judge(String raw) {
    int words = 0;
    int longest = 0;
    int run = 0;
    for (int i = 0, n = raw.length(); i <= n; i++) {
      if (i == n || Character.isWhitespace(raw.charAt(i))) {
        if (run > 0) {
          words++;
          longest = Math.max(longest, run);
        }
        run = 0;
      } else {
        run++;
      }
    }
    if (maxWordLength > 0 && longest > maxWordLength) {
      return DROP;
    }
    String line = cleanCitations(raw);
    if (filterNoTerminalPunct && (!endsWithTerminal(line) || line.endsWith("..."))) {
      return DROP;
    }
    if (minWordsPerLine > 0 && words < minWordsPerLine) {
      return DROP;
    }
    if (filterLoremIpsum || filterJavascript || filterPolicy) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (filterLoremIpsum && lower.contains("lorem ipsum")) {
        return "lorem_ipsum";
      }
      if (filterJavascript && lower.contains("javascript")) {
        return DROP;
      }
      if (filterCurlyBracket && line.indexOf('{') >= 0) {
        return "curly_bracket";
      }
      if (filterPolicy) {
        for (String p : POLICY) {
          if (lower.contains(p)) {
            return DROP;
          }
        }
      }
    } else if (filterCurlyBracket && line.indexOf('{') >= 0) {
      return "curly_bracket";
    }
    return line == raw ? null : KEEP;
  }

  private String cleanCitations(String line) {
    if (!removeCitations || line.indexOf('[') < 0) {
      return line;
    }
    return CITATION.matcher(line).replaceAll("");
  }

  private static boolean endsWithTerminal(String line) {
    int i = line.length() - 1;
    if (i < 0) {
      return false;
    }
    char c = line.charAt(i);
    if (isTerminal(c)) {
      return true;
    }
    // "(See chapter 2.)" ends a sentence too: look through closing brackets (and quotes) for a
    // mark.
    if (c != ')' && c != ']') {
      return false;
    }
    while (i >= 0 && (isCloser(line.charAt(i)) || line.charAt(i) == ' ')) {
      i--;
    }
    return i >= 0 && isMark(line.charAt(i));
  }

  private static boolean isTerminal(char c) {
    return c == '.'
        || c == '!'
        || c == '?'
        || c == '"'
        || c == '\''
        || c == '\u201D'
        || c == '\u2019';
  }

  /** Sentences in one line: 1 + the sentence boundaries inside it. */
  static int countSentences(String line) {
    int count = 1;
    int n = line.length();
    for (int i = 0; i < n; i++) {
      char c = line.charAt(i);
      if (c != '.' && c != '!' && c != '?') {
        continue;
      }
      int markStart = i;
      while (i + 1 < n && isMark(line.charAt(i + 1))) {
        i++;
      }
      int j = i + 1;
      while (j < n && isCloser(line.charAt(j))) {
        j++;
      }
      if (j >= n || !Character.isWhitespace(line.charAt(j))) {
        continue;
      }
      while (j < n && Character.isWhitespace(line.charAt(j))) {
        j++;
      }
      if (j >= n || !startsSentence(line.charAt(j))) {
        continue;
      }
      if (line.charAt(markStart) == '.' && i == markStart && isAbbreviation(line, markStart)) {
        continue;
      }
      count++;
    }
    return count;
  }

  private static boolean isMark(char c) {
    return c == '.' || c == '!' || c == '?';
  }

  private static boolean isCloser(char c) {
    return c == '"' || c == '\'' || c == '\u201D' || c == '\u2019' || c == ')' || c == ']';
  }

  private static boolean startsSentence(char c) {
    return Character.isUpperCase(c)
        || Character.isDigit(c)
        || c == '"'
        || c == '\''
        || c == '\u201C'
        || c == '\u2018'
        || c == '('
        || c == '`';
  }

  /** Whether the word before the period at {@code dot} is an abbreviation or an initial. */
  private static boolean isAbbreviation(String line, int dot) {
    int a = dot;
    while (a > 0 && !Character.isWhitespace(line.charAt(a - 1)) && line.charAt(a - 1) != '(') {
      a--;
    }
    while (a < dot && !Character.isLetter(line.charAt(a))) {
      a++;
    }
    int len = dot - a;
    if (len == 0) {
      return false;
    }
    if (len == 1 && Character.isUpperCase(line.charAt(a))) {
      return true;
    }
    return len <= 5 && ABBREVIATIONS.contains(line.substring(a, dot).toLowerCase(Locale.ROOT));
  }
}
