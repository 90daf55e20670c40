package dev.sparkllm.preprocessing.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

  private static BpeTrainer.Model train(Map<String, Long> rawWords, int merges) {
    String[] words = new String[rawWords.size()];
    long[] counts = new long[words.length];
    int i = 0;
    for (Map.Entry<String, Long> e : rawWords.entrySet()) {
      words[i] = ByteLevel.toByteLevel(e.getKey());
      counts[i++] = e.getValue();
    }
    return new BpeTrainer(List.of("<|endoftext|>"), 1 + 256 + merges, 1).train(words, counts);
  }

  private static List<String> merges(BpeTrainer.Model m) {
    return m.merges().stream().map(x -> x[0] + " " + x[1]).toList();
  }

  @Test
  void tiesGoToTheSmallestIdPair() {
    // (a,b) and (b,a) both occur twice; 'a' has the smaller id, so "a b" first.
    BpeTrainer.Model m = train(Map.of("ab", 2L, "ba", 2L), 2);
    assertThat(merges(m)).containsExactly("a b", "b a");
    assertThat(m.mergeCounts()).containsExactly(2L, 2L);
    assertThat(m.vocab().subList(257, 259)).containsExactly("ab", "ba");
  }

  @Test
  void overlappingPairsCountTwiceButMergeLeftToRight() {
    // "aaaa": (a,a) counted 3 times; merging gives "aa aa", then (aa,aa) once.
    BpeTrainer.Model m = train(Map.of("aaaa", 1L), 5);
    assertThat(merges(m)).containsExactly("a a", "aa aa");
    assertThat(m.mergeCounts()).containsExactly(3L, 1L);
    assertThat(m.tokens()).isEqualTo(1);
    // "aaa": (a,a) twice, then "aa a".
    BpeTrainer.Model m3 = train(Map.of("aaa", 5L), 5);
    assertThat(merges(m3)).containsExactly("a a", "aa a");
    assertThat(m3.mergeCounts()).containsExactly(10L, 5L);
  }

  private static int duplicates(BpeTrainer.Model m) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    int d = 0;
    for (String[] x : m.merges()) {
      if (!seen.add(x[0] + x[1])) {
        d++;
      }
    }
    return d;
  }

  @Test
  void stopsAtMinFrequencyAndVocabSize() {
    String[] words = {ByteLevel.toByteLevel("ab"), ByteLevel.toByteLevel("cd")};
    long[] counts = {5, 2};
    assertThat(new BpeTrainer(List.of(), 256 + 10, 3).train(words, counts).merges()).hasSize(1);
    assertThat(new BpeTrainer(List.of(), 256 + 1, 1).train(words, counts).merges()).hasSize(1);
    assertThat(new BpeTrainer(List.of(), 256 + 10, 0).train(words, counts).merges()).hasSize(2);
    assertThatThrownBy(() -> new BpeTrainer(List.of("x"), 256, 0))
        .hasMessageContaining("below the 257 base tokens");
  }

  /**
   * Every merge is the most frequent pair at its time under the tie rule, checked by recounting all
   * pairs from scratch before each merge and applying merges the naive way.
   */
  @Test
  void eachMergeIsTheBestPairByANaiveRecount() throws Exception {
    Map<String, Long> counts =
        PreTokenCounter.count(
            TokenizerInteropTest.corpusLines().iterator(), "bpe", List.of("<|endoftext|>"));
    // Adversarial extras: repeats, overlaps and ties.
    Random rnd = new Random(7);
    String alphabet = "aab ";
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 1 + rnd.nextInt(9);
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      counts.merge(ByteLevel.toByteLevel(sb.toString()), 1L + rnd.nextInt(3), Long::sum);
    }
    counts.keySet().removeIf(PreTokenCounter::isStat);
    String[] words = counts.keySet().toArray(new String[0]);
    long[] c = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      c[i] = counts.get(words[i]);
    }
    BpeTrainer.Model m = new BpeTrainer(List.of("<|endoftext|>"), 100_000, 0).train(words, c);
    assertThat(m.merges().size()).isGreaterThan(500);
    // Every merge makes a new token: left-to-right merging never leaves "a" before "aa", so two
    // merges cannot spell the same string here.
    assertThat(duplicates(m)).isZero();
    assertThat(m.vocab()).doesNotHaveDuplicates();
    assertThat(m.vocab()).hasSize(1 + 256 + m.merges().size());

    Map<String, Integer> id = new HashMap<>();
    for (int i = 0; i < m.vocab().size(); i++) {
      id.putIfAbsent(m.vocab().get(i), i);
    }
    List<List<String>> state = new ArrayList<>();
    for (String w : words) {
      List<String> syms = new ArrayList<>();
      for (char ch : w.toCharArray()) {
        syms.add(String.valueOf(ch));
      }
      state.add(syms);
    }
    for (int k = 0; k < m.merges().size(); k++) {
      Map<List<String>, Long> pairs = new HashMap<>();
      for (int w = 0; w < state.size(); w++) {
        List<String> s = state.get(w);
        for (int i = 0; i + 1 < s.size(); i++) {
          pairs.merge(List.of(s.get(i), s.get(i + 1)), c[w], Long::sum);
        }
      }
      List<String> best = null;
      long bestCount = -1;
      for (Map.Entry<List<String>, Long> e : pairs.entrySet()) {
        long n = e.getValue();
        List<String> p = e.getKey();
        if (n > bestCount || (n == bestCount && compareIds(p, best, id) < 0)) {
          best = p;
          bestCount = n;
        }
      }
      String[] got = m.merges().get(k);
      assertThat(List.of(got[0], got[1])).as("merge %d", k).isEqualTo(best);
      assertThat(m.mergeCounts().get(k)).as("count of merge %d", k).isEqualTo(bestCount);
      for (List<String> s : state) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
          if (i + 1 < s.size() && s.get(i).equals(got[0]) && s.get(i + 1).equals(got[1])) {
            out.add(got[0] + got[1]);
            i++;
          } else {
            out.add(s.get(i));
          }
        }
        s.clear();
        s.addAll(out);
      }
    }
    long tokens = 0;
    for (int w = 0; w < state.size(); w++) {
      tokens += state.get(w).size() * c[w];
    }
    assertThat(m.tokens()).isEqualTo(tokens);
  }

  private static int compareIds(List<String> p, List<String> q, Map<String, Integer> id) {
    int c = Integer.compare(id.get(p.get(0)), id.get(q.get(0)));
    return c != 0 ? c : Integer.compare(id.get(p.get(1)), id.get(q.get(1)));
  }
}
