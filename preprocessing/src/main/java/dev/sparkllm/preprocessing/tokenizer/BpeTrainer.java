package dev.sparkllm.preprocessing.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Learns BPE merges from counted words on the driver, incrementally: a pair's count changes only in
 * the words a merge touches, found through an index from pair to words; the best pair comes from a
 * max-heap whose stale entries are skipped when popped (lazy invalidation).
 *
 * <p><b>Ids.</b> As in Hugging Face's {@code BpeTrainer}: special tokens first (in the given
 * order), then the alphabet (for byte-level, all 256 byte characters) sorted by code point, then
 * each new token in the order it was created. Should a merge spell a token that already exists, its
 * id is reused and no token is added, as HF does (there it arises with continuing-subword prefixes;
 * without them left-to-right merging never yields two spellings of one string).
 *
 * <p><b>Tie rule.</b> The merge taken is the pair with the highest count (summed over word
 * occurrences, overlapping occurrences such as the two "a a" in "a a a" both counted); among equal
 * counts, the pair with the smallest (left id, right id). This is HF's order ({@code Merge::cmp}
 * compares the count, then the id pair ascending), so on the same words both trainers take the same
 * merges: {@code TokenizerInteropTest} checks all 744 merges of a small corpus against HF's
 * trainer.
 *
 * <p>Within a word a merge applies left to right without overlap ("a a a" with "a a" becomes "aa
 * a"), as HF's {@code Word::merge} and as encoding does.
 */
public final class BpeTrainer {
  private final List<String> specials;
  private final int vocabSize;
  private final long minFrequency;

  /**
   * @param vocabSize total vocabulary size, counting special tokens and the 256 byte tokens
   * @param minFrequency pairs seen fewer times are never merged (training stops there)
   */
  public BpeTrainer(List<String> specials, int vocabSize, long minFrequency) {
    this.specials = List.copyOf(Objects.requireNonNull(specials, "specials"));
    this.vocabSize = vocabSize;
    this.minFrequency = minFrequency;
    int base = specials.size() + 256;
    if (vocabSize < base) {
      throw new IllegalArgumentException(
          "vocab_size " + vocabSize + " is below the " + base + " base tokens");
    }
  }

  /** The learned vocabulary and merges. */
  public record Model(
      List<String> vocab,
      List<String[]> merges,
      long tokens,
      long mergeMillis,
      int distinctWords,
      List<Long> mergeCounts) {}

  /**
   * Trains on {@code words} (byte-level spelled pre-tokens, see {@link ByteLevel#toByteLevel}) with
   * their corpus counts.
   */
  public Model train(String[] words, long[] counts) {
    long start = System.nanoTime();
    List<String> vocab = new ArrayList<>(vocabSize);
    Map<String, Integer> ids = new HashMap<>(vocabSize * 2);
    for (String s : specials) {
      if (!ids.containsKey(s)) {
        ids.put(s, vocab.size());
        vocab.add(s);
      }
    }
    for (String c : ByteLevel.alphabet()) {
      if (!ids.containsKey(c)) {
        ids.put(c, vocab.size());
        vocab.add(c);
      }
    }
    int[] charId = new int[Character.MAX_VALUE + 1];
    Arrays.fill(charId, -1);
    for (int id = 0; id < vocab.size(); id++) {
      if (vocab.get(id).length() == 1 && !specials.contains(vocab.get(id))) {
        charId[vocab.get(id).charAt(0)] = id;
      }
    }
    int n = words.length;
    int[][] sym = new int[n][];
    int[] len = new int[n];
    for (int w = 0; w < n; w++) {
      String word = words[w];
      int[] s = new int[word.length()];
      for (int i = 0; i < s.length; i++) {
        int id = charId[word.charAt(i)];
        if (id < 0) {
          throw new IllegalArgumentException("word is not byte-level spelled: " + word);
        }
        s[i] = id;
      }
      sym[w] = s;
      len[w] = s.length;
    }

    PairTable pairs = new PairTable();
    for (int w = 0; w < n; w++) {
      int[] s = sym[w];
      for (int i = 0; i + 1 < len[w]; i++) {
        int q = pairs.id(pair(s[i], s[i + 1]));
        pairs.count[q] += counts[w];
        pairs.addWord(q, w);
      }
    }
    PairHeap heap = new PairHeap();
    for (int q = 0; q < pairs.size; q++) {
      if (pairs.count[q] > 0) {
        heap.push(pairs.count[q], pairs.key[q]);
      }
    }

    List<String[]> merges = new ArrayList<>();
    List<Long> mergeCounts = new ArrayList<>();
    int[] touched = new int[64];
    int[] seenAt = new int[n];
    Arrays.fill(seenAt, -1);
    long threshold = Math.max(1, minFrequency);

    while (vocab.size() < vocabSize && !heap.isEmpty()) {
      long c = heap.topCount();
      long p = heap.topPair();
      heap.pop();
      int pq = pairs.id(p);
      long current = pairs.count[pq];
      if (c != current) {
        // Higher than now: the pair lost occurrences since it was queued. Lower: a newer entry
        // with the higher count was pushed when it gained some, so this one is obsolete.
        if (c > current && current > 0) {
          heap.push(current, p);
        }
        continue;
      }
      if (c < threshold) {
        break;
      }
      int a = (int) (p >>> 32);
      int b = (int) p;
      String merged = vocab.get(a) + vocab.get(b);
      Integer existing = ids.get(merged);
      int newId;
      if (existing != null) {
        newId = existing;
      } else {
        newId = vocab.size();
        ids.put(merged, newId);
        vocab.add(merged);
      }
      int mergeNo = merges.size();
      merges.add(new String[] {vocab.get(a), vocab.get(b)});
      mergeCounts.add(c);

      int[] list = pairs.words[pq];
      int listSize = pairs.wordCount[pq];
      pairs.words[pq] = null;
      pairs.wordCount[pq] = 0;
      int nTouched = 0;
      for (int k = 0; k < listSize; k++) {
        int w = list[k];
        if (seenAt[w] == mergeNo) {
          continue;
        }
        seenAt[w] = mergeNo;
        int[] s = sym[w];
        int wl = len[w];
        long cnt = counts[w];
        int j = 0;
        int i = 0;
        while (i < wl) {
          if (i + 1 < wl && s[i] == a && s[i + 1] == b) {
            pairs.count[pq] -= cnt;
            if (j > 0) {
              int left = s[j - 1];
              pairs.count[pairs.id(pair(left, a))] -= cnt;
              int nq = pairs.id(pair(left, newId));
              pairs.count[nq] += cnt;
              pairs.addWord(nq, w);
              if (pairs.touchedAt[nq] != mergeNo) {
                pairs.touchedAt[nq] = mergeNo;
                touched = push(touched, nTouched++, nq);
              }
            }
            if (i + 2 < wl) {
              int right = s[i + 2];
              pairs.count[pairs.id(pair(b, right))] -= cnt;
              int nq = pairs.id(pair(newId, right));
              pairs.count[nq] += cnt;
              pairs.addWord(nq, w);
              if (pairs.touchedAt[nq] != mergeNo) {
                pairs.touchedAt[nq] = mergeNo;
                touched = push(touched, nTouched++, nq);
              }
            }
            s[j++] = newId;
            i += 2;
          } else {
            s[j++] = s[i++];
          }
        }
        len[w] = j;
      }
      for (int t = 0; t < nTouched; t++) {
        int nq = touched[t];
        if (pairs.count[nq] > 0) {
          heap.push(pairs.count[nq], pairs.key[nq]);
        }
      }
    }

    long tokens = 0;
    for (int w = 0; w < n; w++) {
      tokens += len[w] * counts[w];
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    return new Model(
        List.copyOf(vocab), List.copyOf(merges), tokens, millis, n, List.copyOf(mergeCounts));
  }

  private static int[] push(int[] arr, int at, int v) {
    if (at == arr.length) {
      arr = Arrays.copyOf(arr, at * 2);
    }
    arr[at] = v;
    return arr;
  }

  static long pair(int left, int right) {
    return ((long) left << 32) | (right & 0xffffffffL);
  }

  /**
   * Every pair ever seen gets a dense id; its count, the words that contained it when indexed (may
   * be stale, never missing) and the last merge that touched it live in arrays under that id, so
   * one hash lookup serves all of them.
   */
  private static final class PairTable {
    private final LongLongMap idOf = new LongLongMap(1 << 16, -1);
    int size;
    long[] key = new long[1 << 16];
    long[] count = new long[1 << 16];
    int[][] words = new int[1 << 16][];
    int[] wordCount = new int[1 << 16];
    int[] touchedAt = new int[1 << 16];

    int id(long p) {
      long q = idOf.get(p);
      if (q >= 0) {
        return (int) q;
      }
      if (size == key.length) {
        int cap = size * 2;
        key = Arrays.copyOf(key, cap);
        count = Arrays.copyOf(count, cap);
        words = Arrays.copyOf(words, cap);
        wordCount = Arrays.copyOf(wordCount, cap);
        touchedAt = Arrays.copyOf(touchedAt, cap);
      }
      int id = size++;
      key[id] = p;
      touchedAt[id] = -1;
      idOf.put(p, id);
      return id;
    }

    void addWord(int q, int w) {
      int[] l = words[q];
      int sz = wordCount[q];
      if (l == null) {
        l = new int[2];
        words[q] = l;
      } else if (l[sz - 1] == w) {
        // Words are indexed one at a time, so a repeat within one word shows as the last entry.
        return;
      } else if (sz == l.length) {
        l = Arrays.copyOf(l, sz * 2);
        words[q] = l;
      }
      l[sz] = w;
      wordCount[q] = sz + 1;
    }
  }
}
