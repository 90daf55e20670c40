package dev.sparkllm.preprocessing.steps.filters;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.DocumentFilter;
import java.util.ArrayList;
import java.util.HashSet;

/**
 * Gopher quality rules (Rae et al. 2021, "Scaling Language Models: Methods, Analysis &amp; Insights
 * from Training Gopher", appendix A.1.1), as in datatrove's {@code GopherQualityFilter}. A document
 * is rejected, with the first failing reason, when:
 *
 * <table>
 *   <caption>Rules and defaults</caption>
 *   <tr><th>rule</th><th>default</th><th>reason</th></tr>
 *   <tr><td>words &lt; min_doc_words</td><td>50</td><td>gopher_short_doc</td></tr>
 *   <tr><td>words &gt; max_doc_words</td><td>100,000</td><td>gopher_long_doc</td></tr>
 *   <tr><td>mean word length &lt; min_avg_word_length</td><td>3</td>
 *       <td>gopher_below_avg_threshold</td></tr>
 *   <tr><td>mean word length &gt; max_avg_word_length</td><td>10</td>
 *       <td>gopher_above_avg_threshold</td></tr>
 *   <tr><td>'#' per word &gt; max_symbol_word_ratio</td><td>0.1</td>
 *       <td>gopher_too_many_hashes</td></tr>
 *   <tr><td>"..." or "…" per word &gt; max_symbol_word_ratio</td><td>0.1</td>
 *       <td>gopher_too_many_ellipsis</td></tr>
 *   <tr><td>lines starting with • or - &gt; max_bullet_lines_ratio</td><td>0.9</td>
 *       <td>gopher_too_many_bullets</td></tr>
 *   <tr><td>lines ending with ... or … &gt; max_ellipsis_lines_ratio</td><td>0.3</td>
 *       <td>gopher_too_many_end_ellipsis</td></tr>
 *   <tr><td>words with a letter &lt; min_alpha_words_ratio</td><td>0.8</td>
 *       <td>gopher_below_alpha_threshold</td></tr>
 *   <tr><td>stop words (the, be, to, of, and, that, have, with) &lt; min_stop_words</td><td>2</td>
 *       <td>gopher_enough_stop_words</td></tr>
 * </table>
 *
 * <p>"Words" are the word tokens of {@link Tokens} (punctuation tokens do not count), for every
 * ratio: the paper speaks of words, and datatrove's newer versions, which divide the hash, ellipsis
 * and alpha counts by all tokens including punctuation, would reject ordinary prose with many
 * commas and quotes sooner. Stop words match exactly (case-sensitive), as in datatrove. Like
 * datatrove's {@code None}, a threshold of 0 turns its rule off.
 */
public final class GopherQualityFilter extends DocumentFilter {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "gopher_quality";

  private final int minDocWords;
  private final int maxDocWords;
  private final double minAvgWordLength;
  private final double maxAvgWordLength;
  private final double maxSymbolWordRatio;
  private final double maxBulletLinesRatio;
  private final double maxEllipsisLinesRatio;
  private final double minAlphaWordsRatio;
  private final int minStopWords;
  private final HashSet<String> stopWords;
  private final int maxStopWordLength;

  public GopherQualityFilter(Config section) {
    super(NAME);
    minDocWords = section.getInt("min_doc_words");
    maxDocWords = section.getInt("max_doc_words");
    minAvgWordLength = section.getDouble("min_avg_word_length");
    maxAvgWordLength = section.getDouble("max_avg_word_length");
    maxSymbolWordRatio = section.getDouble("max_symbol_word_ratio");
    maxBulletLinesRatio = section.getDouble("max_bullet_lines_ratio");
    maxEllipsisLinesRatio = section.getDouble("max_ellipsis_lines_ratio");
    minAlphaWordsRatio = section.getDouble("min_alpha_words_ratio");
    minStopWords = section.getInt("min_stop_words");
    stopWords = new HashSet<>(new ArrayList<>(section.getStringList("stop_words")));
    maxStopWordLength = stopWords.stream().mapToInt(String::length).max().orElse(0);
  }

  @Override
  protected String reject(Document doc) {
    String text = doc.text;
    Tokens tokens = Tokens.of(text);
    int words = 0;
    long wordChars = 0;
    int alphaWords = 0;
    int stops = 0;
    for (int k = 0; k < tokens.size; k++) {
      if (!tokens.isWord(k)) {
        continue;
      }
      words++;
      int len = tokens.length(k);
      wordChars += len;
      if (tokens.hasLetter(k)) {
        alphaWords++;
      }
      if (len <= maxStopWordLength
          && stopWords.contains(text.substring(tokens.start[k], tokens.end[k]))) {
        stops++;
      }
    }
    if (minDocWords > 0 && words < minDocWords) {
      return "gopher_short_doc";
    }
    if (maxDocWords > 0 && words > maxDocWords) {
      return "gopher_long_doc";
    }
    if (words == 0) {
      return null; // only reachable with min_doc_words: 0; nothing below can be measured
    }
    double avg = (double) wordChars / words;
    if (minAvgWordLength > 0 && avg < minAvgWordLength) {
      return "gopher_below_avg_threshold";
    }
    if (maxAvgWordLength > 0 && avg > maxAvgWordLength) {
      return "gopher_above_avg_threshold";
    }
    if (maxSymbolWordRatio > 0) {
      if ((double) count(text, "#") / words > maxSymbolWordRatio) {
        return "gopher_too_many_hashes";
      }
      if ((double) (count(text, "...") + count(text, "\u2026")) / words > maxSymbolWordRatio) {
        return "gopher_too_many_ellipsis";
      }
    }
    if (maxBulletLinesRatio > 0 || maxEllipsisLinesRatio > 0) {
      String reason = lineRules(text);
      if (reason != null) {
        return reason;
      }
    }
    if (minAlphaWordsRatio > 0 && (double) alphaWords / words < minAlphaWordsRatio) {
      return "gopher_below_alpha_threshold";
    }
    if (minStopWords > 0 && stops < minStopWords) {
      return "gopher_enough_stop_words";
    }
    return null;
  }

  /** Bullet and end-ellipsis line ratios over all lines (blank lines included, as in Python). */
  private String lineRules(String text) {
    int lines = 0;
    int bullets = 0;
    int ellipsis = 0;
    int n = text.length();
    int s = 0;
    while (s < n) {
      int e = text.indexOf('\n', s);
      if (e < 0) {
        e = n;
      }
      lines++;
      int a = s;
      while (a < e && Character.isWhitespace(text.charAt(a))) {
        a++;
      }
      int b = e;
      while (b > a && Character.isWhitespace(text.charAt(b - 1))) {
        b--;
      }
      if (a < b && (text.charAt(a) == '\u2022' || text.charAt(a) == '-')) {
        bullets++;
      }
      if (text.startsWith("...", b - 3) && b - 3 >= a
          || (b > a && text.charAt(b - 1) == '\u2026')) {
        ellipsis++;
      }
      s = e + 1;
    }
    if (lines == 0) {
      return null;
    }
    if (maxBulletLinesRatio > 0 && (double) bullets / lines > maxBulletLinesRatio) {
      return "gopher_too_many_bullets";
    }
    if (maxEllipsisLinesRatio > 0 && (double) ellipsis / lines > maxEllipsisLinesRatio) {
      return "gopher_too_many_end_ellipsis";
    }
    return null;
  }

  /** Non-overlapping occurrences, like Python's str.count. */
  static int count(String text, String needle) {
    int c = 0;
    int i = text.indexOf(needle);
    while (i >= 0) {
      c++;
      i = text.indexOf(needle, i + needle.length());
    }
    return c;
  }
}
