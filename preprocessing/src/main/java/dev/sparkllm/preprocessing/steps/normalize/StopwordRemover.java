package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.steps.TextModifier;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * Removes stop words, keeping the text readable: line breaks stay, and punctuation attached to a
 * removed word moves to its neighbour ({@code "The cat sat on the mat."} → {@code "cat sat mat."}).
 * A token is a run of non-whitespace; its core (without leading and trailing punctuation) is
 * compared case-insensitively.
 *
 * <p>Config {@code words}: the stop list; empty means Lucene's {@link
 * EnglishAnalyzer#ENGLISH_STOP_WORDS_SET} (33 words: a, an, and, are, as, at, be, but, by, for, if,
 * in, into, is, it, no, not, of, on, or, such, that, the, their, then, there, these, they, this,
 * to, was, will, with).
 */
public final class StopwordRemover extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "stopword_removal";

  private final ArrayList<String> words;
  private transient CharArraySet stopSet;

  public StopwordRemover(Config section) {
    super(NAME);
    this.words = new ArrayList<>(section.getStringList("words"));
  }

  @Override
  public void open() {
    if (stopSet == null) {
      // Lucene's own set is case-sensitive; a copy with ignoreCase matches "The" too.
      stopSet =
          CharArraySet.unmodifiableSet(
              new CharArraySet(
                  words.isEmpty() ? EnglishAnalyzer.ENGLISH_STOP_WORDS_SET : words, true));
    }
  }

  /** The stop list in use, for tests and logs. */
  public List<String> stopWords() {
    open();
    List<String> out = new ArrayList<>();
    stopSet.forEach(o -> out.add(new String((char[]) o)));
    out.sort(null);
    return out;
  }

  @Override
  protected String modify(String text) {
    open();
    char[] chars = text.toCharArray();
    int n = chars.length;
    StringBuilder sb = new StringBuilder(n);
    boolean changed = false;
    int lineStart = 0;
    while (lineStart <= n) {
      int lineEnd = lineStart;
      while (lineEnd < n && chars[lineEnd] != '\n') {
        lineEnd++;
      }
      changed |= line(chars, lineStart, lineEnd, sb);
      if (lineEnd < n) {
        sb.append('\n');
      }
      lineStart = lineEnd + 1;
    }
    return changed ? sb.toString() : text;
  }

  /** Writes one line without its stop words; returns whether anything was removed. */
  private boolean line(char[] c, int start, int end, StringBuilder sb) {
    int lineOut = sb.length();
    boolean removed = false;
    boolean keptAny = false;
    String pendingPrefix = "";
    int i = start;
    while (i < end) {
      while (i < end && Character.isWhitespace(c[i])) {
        i++;
      }
      if (i >= end) {
        break;
      }
      int tokStart = i;
      while (i < end && !Character.isWhitespace(c[i])) {
        i++;
      }
      int tokEnd = i;
      int coreStart = tokStart;
      while (coreStart < tokEnd && !Character.isLetterOrDigit(c[coreStart])) {
        coreStart++;
      }
      int coreEnd = tokEnd;
      while (coreEnd > coreStart && !Character.isLetterOrDigit(c[coreEnd - 1])) {
        coreEnd--;
      }
      if (coreEnd > coreStart && stopSet.contains(c, coreStart, coreEnd - coreStart)) {
        removed = true;
        pendingPrefix += new String(c, tokStart, coreStart - tokStart);
        if (keptAny && coreEnd < tokEnd) {
          sb.append(c, coreEnd, tokEnd - coreEnd);
        }
        continue;
      }
      if (keptAny) {
        sb.append(' ');
      }
      sb.append(pendingPrefix);
      pendingPrefix = "";
      sb.append(c, tokStart, tokEnd - tokStart);
      keptAny = true;
    }
    if (!removed) {
      // Keep the line byte-identical (its own spacing) when no word was removed.
      sb.setLength(lineOut);
      sb.append(c, start, end - start);
    }
    return removed;
  }
}
