package dev.sparkllm.preprocessing.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import scala.Tuple2;

/**
 * Counts training units in one partition of texts: byte-level pre-tokens (bpe), raw GPT-2
 * pre-tokens (word) or code points (char). Special-token occurrences are skipped, as the encoder
 * matches them before pre-tokenizing.
 *
 * <p>Corpus totals travel in the same (key, count) stream under keys starting with NUL + '#', which
 * no unit can equal: byte-level text has no NUL, a code point is one character, and the GPT-2 regex
 * puts NUL and '#' (punctuation) in a different pre-token than letters.
 */
public final class PreTokenCounter {
  public static final String STAT_DOCS = "\u0000#docs";
  public static final String STAT_BYTES = "\u0000#bytes";

  private PreTokenCounter() {}

  public static boolean isStat(String key) {
    return key.startsWith("\u0000#");
  }

  public static Iterator<Tuple2<String, Long>> countPartition(
      Iterator<String> texts, String type, List<String> specials) {
    Map<String, Long> counts = count(texts, type, specials);
    List<Tuple2<String, Long>> out = new ArrayList<>(counts.size());
    counts.forEach((k, v) -> out.add(new Tuple2<>(k, v)));
    return out.iterator();
  }

  /** Unit counts plus {@link #STAT_DOCS} and {@link #STAT_BYTES} (UTF-8 bytes of the texts). */
  public static Map<String, Long> count(
      Iterator<String> texts, String type, List<String> specials) {
    Map<String, Long> counts = new HashMap<>();
    long docs = 0;
    long bytes = 0;
    while (texts.hasNext()) {
      String raw = texts.next();
      if (raw == null) {
        continue;
      }
      String text = ByteLevel.sanitize(raw);
      docs++;
      bytes += text.getBytes(StandardCharsets.UTF_8).length;
      switch (type) {
        case "bpe", "word" ->
            ByteLevel.preTokenize(text, specials, t -> counts.merge(t, 1L, Long::sum));
        case "char" ->
            ByteLevel.preTokenize(
                text,
                specials,
                t ->
                    t.codePoints()
                        .forEach(cp -> counts.merge(Character.toString(cp), 1L, Long::sum)));
        default -> throw new IllegalArgumentException("unknown tokenizer type " + type);
      }
    }
    Map<String, Long> out = counts;
    if ("bpe".equals(type)) {
      // Spelled byte-level once per distinct pre-token rather than once per occurrence.
      out = new HashMap<>(counts.size() * 2);
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        out.put(ByteLevel.toByteLevel(e.getKey()), e.getValue());
      }
    }
    out.put(STAT_DOCS, docs);
    out.put(STAT_BYTES, bytes);
    return out;
  }
}
