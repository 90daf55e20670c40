package dev.sparkllm.preprocessing.steps.filters;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.DocumentFilter;
import java.util.Arrays;
import java.util.HashSet;

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

  private final double dupLineFrac;
  private final double dupParaFrac;
  private final double dupLineCharFrac;
  private final double dupParaCharFrac;
  private final int[] topN;
  private final double[] topFrac;
  private final int[] dupN;
  private final double[] dupFrac;

  public GopherRepetitionFilter(Config section) {
    super(NAME);
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
  protected String reject(Document doc) {
    String text = doc.text;
    double len = text.length();
    if (len == 0) {
      return null;
    }
    long[] para = duplicates(text.strip(), 2);
    if (dupParaFrac > 0 && (double) para[0] / para[2] > dupParaFrac) {
      return "dup_para_frac";
    }
    if (dupParaCharFrac > 0 && para[1] / len > dupParaCharFrac) {
      return "dup_para_char_frac";
    }
    long[] line = duplicates(text, 1);
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
    NGrams grams = new NGrams(hashes);
    for (int r = 0; r < topN.length; r++) {
      int n = topN[r];
      if (topFrac[r] <= 0 || size < n) {
        continue;
      }
      long[] keys = grams.of(n);
      counts.clear();
      int max = 0;
      for (int k = 0; k + n <= size; k++) {
        max = Math.max(max, counts.increment(keys[k]));
      }
      for (int k = 0; k + n <= size; k++) {
        if (counts.get(keys[k]) == max) {
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
      long[] keys = grams.of(n);
      counts.clear();
      long repeated = 0;
      int k = 0;
      while (k + n <= size) {
        if (counts.get(keys[k]) > 0) {
          repeated += prefixChars[k + n] - prefixChars[k];
          k += n;
        } else {
          counts.increment(keys[k]);
          k++;
        }
      }
      if (repeated / len > dupFrac[r]) {
        return "duplicated_" + n + "_n_grams";
      }
    }
    return null;
  }

  /**
   * Hashes of all n-grams for one n at a time. Going from n to n+1 costs one multiply-add per
   * position, so the usual increasing list (2, 3, 4, 5, ... 10) is built incrementally.
   */
  private static final class NGrams {
    private final long[] tokens;
    private final long[] partial;
    private final long[] mixed;
    private int n;

    NGrams(long[] tokens) {
      this.tokens = tokens;
      this.partial = new long[tokens.length];
      this.mixed = new long[tokens.length];
    }

    /** keys[k] = hash of tokens k..k+n-1, for k + n <= size (the array is reused). */
    long[] of(int target) {
      if (target < n) {
        Arrays.fill(partial, 0L);
        n = 0;
      }
      int size = tokens.length;
      while (n < target) {
        for (int k = 0; k + n < size; k++) {
          partial[k] = partial[k] * 0x9E3779B97F4A7C15L + tokens[k + n];
        }
        n++;
      }
      for (int k = 0; k + n <= size; k++) {
        mixed[k] = Tokens.mix(partial[k] ^ n);
      }
      return mixed;
    }
  }

  /**
   * {duplicate count, duplicate chars, total} over the parts of {@code text} separated by runs of
   * at least {@code minBreaks} newlines (like Python's {@code re.split("\\n{k,}", text)}); a part
   * seen before is a duplicate.
   */
  static long[] duplicates(String text, int minBreaks) {
    HashSet<String> seen = new HashSet<>();
    long dups = 0;
    long chars = 0;
    long parts = 0;
    int n = text.length();
    int start = 0;
    int i = 0;
    while (true) {
      int end = text.indexOf('\n', i);
      int run = 0;
      if (end >= 0) {
        while (end + run < n && text.charAt(end + run) == '\n') {
          run++;
        }
        if (run < minBreaks) {
          i = end + run;
          continue;
        }
      } else {
        end = n;
      }
      String part = text.substring(start, end);
      parts++;
      if (!seen.add(part)) {
        dups++;
        chars += part.length();
      }
      if (end == n) {
        break;
      }
      start = end + run;
      i = start;
    }
    return new long[] {dups, chars, parts};
  }
}
