package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.steps.TextModifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.core.LetterTokenizer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;

/**
 * Stems each word in place and keeps everything else (spacing, punctuation, line breaks), so the
 * text stays readable: {@code "The runners were running."} → {@code "The runner were run."}.
 *
 * <p>Words are runs of letters (Lucene {@link LetterTokenizer}), lowercased and stemmed by Lucene's
 * {@link PorterStemFilter} ({@code algorithm: porter}) or {@link EnglishMinimalStemFilter} ({@code
 * algorithm: english_minimal}, plurals only). The stem takes the case of the original word: first
 * letter capital, or all capitals.
 */
public final class Stemmer extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "stemming";

  private final String algorithm;
  private transient Analyzer analyzer;

  public Stemmer(Config section) {
    super(NAME);
    this.algorithm = section.getString("algorithm");
    if (!"porter".equals(algorithm) && !"english_minimal".equals(algorithm)) {
      throw new SparkLlmException(
          "preprocess.stemming.algorithm must be porter or english_minimal, got '"
              + algorithm
              + "'");
    }
  }

  @Override
  public void open() {
    if (analyzer == null) {
      boolean porter = "porter".equals(algorithm);
      analyzer =
          new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field) {
              Tokenizer source = new LetterTokenizer();
              TokenStream lower = new LowerCaseFilter(source);
              TokenStream stem =
                  porter ? new PorterStemFilter(lower) : new EnglishMinimalStemFilter(lower);
              return new TokenStreamComponents(source, stem);
            }
          };
    }
  }

  @Override
  protected String modify(String text) {
    open();
    StringBuilder sb = null;
    int last = 0;
    try (TokenStream ts = analyzer.tokenStream("text", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      OffsetAttribute offset = ts.addAttribute(OffsetAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        int start = offset.startOffset();
        int end = offset.endOffset();
        if (sameIgnoringCase(term, text, start, end)) {
          continue;
        }
        if (sb == null) {
          sb = new StringBuilder(text.length());
        }
        sb.append(text, last, start);
        appendWithCase(sb, term, text, start, end);
        last = end;
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringReader does not throw
    }
    if (sb == null) {
      return text;
    }
    sb.append(text, last, text.length());
    return sb.toString();
  }

  private static boolean sameIgnoringCase(CharTermAttribute term, String text, int start, int end) {
    if (term.length() != end - start) {
      return false;
    }
    for (int i = 0; i < term.length(); i++) {
      if (term.charAt(i) != Character.toLowerCase(text.charAt(start + i))) {
        return false;
      }
    }
    return true;
  }

  private static void appendWithCase(
      StringBuilder sb, CharTermAttribute term, String text, int start, int end) {
    boolean first = Character.isUpperCase(text.charAt(start));
    boolean all = first && end - start > 1;
    for (int i = start + 1; all && i < end; i++) {
      all = Character.isUpperCase(text.charAt(i));
    }
    if (all) {
      sb.append(term.toString().toUpperCase(Locale.ROOT));
    } else if (first && term.length() > 0) {
      sb.append(Character.toUpperCase(term.charAt(0))).append(term, 1, term.length());
    } else {
      sb.append(term);
    }
  }
}
