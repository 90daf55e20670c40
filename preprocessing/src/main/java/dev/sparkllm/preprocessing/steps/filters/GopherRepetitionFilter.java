package dev.sparkllm.preprocessing.steps.filters;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.DocumentFilter;
import java.util.HashSet;
import java.util.regex.Pattern;

/**
 * Gopher repetition rules (Rae et al. 2021, table A1), as in datatrove's {@code
 * GopherRepetitionFilter}. Fractions of characters are over the whole text length.
 *
 * <table>
 *   <caption>Table A1 thresholds (defaults) and reasons</caption>
 *   <tr><th>measure</th><th>max</th><th>reason</th></tr>
 *   <tr><td>duplicate paragraph fraction</td><td>0.30</td><td>dup_para_frac</td></tr>
 *   <tr><td>duplicate paragraph character fraction</td><td>0.20</td><td>dup_para_char_frac</td></tr>
 *   <tr><td>duplicate line fraction</td><td>0.30</td><td>dup_line_frac</td></tr>
 *   <tr><td>duplicate line character fraction</td><td>0.20</td><td>dup_line_char_frac</td></tr>
 *   <tr><td>top 2-gram character fraction</td><td>0.20</td><td>top_2_gram</td></tr>
 *   <tr><td>top 3-gram character fraction</td><td>0.18</td><td>top_3_gram</td></tr>
 *   <tr><td>top 4-gram character fraction</td><td>0.16</td><td>top_4_gram</td></tr>
 *   <tr><td>duplicate 5-gram character fraction</td><td>0.15</td><td>duplicated_5_n_grams</td></tr>
 *   <tr><td>duplicate 6-gram character fraction</td><td>0.14</td><td>duplicated_6_n_grams</td></tr>
 *   <tr><td>duplicate 7-gram character fraction</td><td>0.13</td><td>duplicated_7_n_grams</td></tr>
 *   <tr><td>duplicate 8-gram character fraction</td><td>0.12</td><td>duplicated_8_n_grams</td></tr>
 *   <tr><td>duplicate 9-gram character fraction</td><td>0.11</td><td>duplicated_9_n_grams</td></tr>
 *   <tr><td>duplicate 10-gram character fraction</td><td>0.10</td><td>duplicated_10_n_grams</td></tr>
 * </table>
 *
 * <p>Paragraphs are separated by two or more newlines, lines by one or more (blank lines are not
 * duplicate lines). A duplicate paragraph/line is one seen before; its characters count. The top
 * n-gram measure is the character length of the most frequent n-gram (words joined by one space)
 * times its count, ties going to the n-gram seen first; as in datatrove, a count of 1 is not
 * exempt, so a text of a dozen words fails it (Gopher quality rejects such texts first anyway).
 * Duplicate n-gram characters walk the words: an n-gram seen before adds its characters (without
 * spaces) and skips past itself, so overlapping repeats are not counted twice. Words are {@link
 * Tokens}, punctuation tokens included as with NLTK.
 *
 * <p>N-grams are compared by 64-bit hashes instead of strings (a false match needs a hash
 * collision, about 2^-64 per pair), which keeps this linear and allocation-light on long documents.
 * A threshold of 0 turns its rule off.
 */
public final class GopherRepetitionFilter extends DocumentFilter {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "gopher_repetition";

  private static final Pattern PARAGRAPHS = Pattern.compile("\\n{2,}");
  private static final Pattern LINES = Pattern.compile("\\n+");

  private final double dupLineFrac;
  private final double dupParaFrac;
  private final double dupLineCharFrac;
  private final double dupParaCharFrac;
  private final int[] topN;
  private final double[] topFrac;
  private final int[] dupN;
  private final double[] dupFrac;

  public GopherRepetitionFilter(Config section) {
    dupLineFrac = section.getDouble("dup_line_frac");
    dupParaFrac = section.getDouble("dup_para_frac");
    dupLineCharFrac = section.getDouble("dup_line_char_frac");
    dupParaCharFrac = section.getDouble("dup_para_char_frac");
    JsonNode tree = section.tree();
    topN = ns(tree.get("top_n_grams"), "top_n_grams");
    topFrac = fracs(tree.get("top_n_grams"));
    dupN = ns(tree.get("dup_n_grams"), "dup_n_grams");
    dupFrac = fracs(tree.get("dup_n_grams"));
  }

  private static int[] ns(JsonNode pairs, String key) {
    int[] out = new int[pairs.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode p = pairs.get(i);
      if (!p.isArray() || p.size() != 2 || !p.get(0).canConvertToInt() || p.get(0).asInt() < 1) {
        throw new SparkLlmException(
            "preprocess.gopher_repetition."
                + key
                + " must be a list of [n, fraction] pairs with n >= 1, got "
                + p);
      }
      out[i] = p.get(0).asInt();
    }
    return out;
  }

  private static double[] fracs(JsonNode pairs) {
    double[] out = new double[pairs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = pairs.get(i).get(1).asDouble();
    }
    return out;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected String reject(Document doc) {
    String text = doc.text;
    double len = text.length();
    if (len == 0) {
      return null;
    }
    long[] para = duplicates(PARAGRAPHS.split(text.strip(), -1));
    if (dupParaFrac > 0 && (double) para[0] / para[2] > dupParaFrac) {
      return "dup_para_frac";
    }
    if (dupParaCharFrac > 0 && para[1] / len > dupParaCharFrac) {
      return "dup_para_char_frac";
    }
    long[] line = duplicates(LINES.split(text, -1));
    if (dupLineFrac > 0 && (double) line[0] / line[2] > dupLineFrac) {
      return "dup_line_frac";
    }
    if (dupLineCharFrac > 0 && line[1] / len > dupLineCharFrac) {
      return "dup_line_char_frac";
    }
    if (topN.length == 0 && dupN.length == 0) {
      return null;
    }
    Tokens tokens = Tokens.of(text);
    int size = tokens.size;
    long[] hashes = new long[size];
    int[] prefixChars = new int[size + 1];
    for (int k = 0; k < size; k++) {
      hashes[k] = tokens.hash(k);
      prefixChars[k + 1] = prefixChars[k] + tokens.length(k);
    }
    LongIntMap counts = new LongIntMap(size);
    for (int r = 0; r < topN.length; r++) {
      int n = topN[r];
      if (topFrac[r] <= 0 || size < n) {
        continue;
      }
      counts.clear();
      int max = 0;
      for (int k = 0; k + n <= size; k++) {
        max = Math.max(max, counts.increment(ngram(hashes, k, n)));
      }
      for (int k = 0; k + n <= size; k++) {
        if (counts.get(ngram(hashes, k, n)) == max) {
          int chars = prefixChars[k + n] - prefixChars[k] + n - 1;
          if ((double) chars * max / len > topFrac[r]) {
            return "top_" + n + "_gram";
          }
          break;
        }
      }
    }
    for (int r = 0; r < dupN.length; r++) {
      int n = dupN[r];
      if (dupFrac[r] <= 0 || size < n) {
        continue;
      }
      counts.clear();
      long repeated = 0;
      int k = 0;
      while (k + n <= size) {
        long h = ngram(hashes, k, n);
        if (counts.get(h) > 0) {
          repeated += prefixChars[k + n] - prefixChars[k];
          k += n;
        } else {
          counts.increment(h);
          k++;
        }
      }
      if (repeated / len > dupFrac[r]) {
        return "duplicated_" + n + "_n_grams";
      }
    }
    return null;
  }

  /** {duplicate count, duplicate chars, total} over parts, a part seen before being a duplicate. */
  private static long[] duplicates(String[] parts) {
    HashSet<String> seen = new HashSet<>(parts.length * 2);
    long dups = 0;
    long chars = 0;
    for (String p : parts) {
      if (!seen.add(p)) {
        dups++;
        chars += p.length();
      }
    }
    return new long[] {dups, chars, parts.length};
  }

  private static long ngram(long[] hashes, int k, int n) {
    long h = n;
    for (int i = k; i < k + n; i++) {
      h = h * 0x9E3779B97F4A7C15L + hashes[i];
    }
    return Tokens.mix(h);
  }
}
