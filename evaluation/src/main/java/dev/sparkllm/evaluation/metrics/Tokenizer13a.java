package dev.sparkllm.evaluation.metrics;

import java.util.regex.Pattern;

/**
 * sacreBLEU's default {@code 13a} tokenizer, the rules of WMT's {@code mteval-v13a.pl}: drop {@code
 * <skipped>}, join words hyphenated across a line break, unescape four HTML entities, then split
 * off punctuation and symbols (periods and commas stay attached to neighbouring digits, so {@code
 * 3.14} and {@code 1,000} remain one token).
 */
public final class Tokenizer13a {
  // ASCII symbol ranges of mteval-v13a: { | } ~, [ \ ] ^ _ `, space to &, ( ) * +, : ; < = > ?
  // @, and '/'. The apostrophe (0x27), '-', '.', ',' and digits/letters are not in the set.
  private static final Pattern SYMBOLS =
      Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])");
  private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([\\.,])");
  private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([\\.,])([^0-9])");
  private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

  private Tokenizer13a() {}

  /** Tokenized line: tokens joined by single spaces, no leading or trailing space. */
  public static String tokenize(String line) {
    String s = line.replace("<skipped>", "");
    s = s.replace("-\n", "");
    s = s.replace("\n", " ");
    s = s.replace("&quot;", "\"");
    s = s.replace("&amp;", "&");
    s = s.replace("&lt;", "<");
    s = s.replace("&gt;", ">");
    s = " " + s + " ";
    s = SYMBOLS.matcher(s).replaceAll(" $1 ");
    s = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
    s = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
    s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
    return String.join(" ", PythonText.split(s));
  }
}
