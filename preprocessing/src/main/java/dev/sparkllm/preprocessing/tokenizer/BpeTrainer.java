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
    int n = words.length;
    int[][] sym = new int[n][];
    int[] len = new int[n];
    for (int w = 0; w < n; w++) {
      String word = words[w];
      int[] s = new int[word.length()];
      for (int i = 0; i < s.length; i++) {
        Integer id = ids.get(String.valueOf(word.charAt(i)));
        if (id == null) {
          throw new IllegalArgumentException("word is not byte-level spelled: " + word);
        }
        s[i] = id;
      }
      sym[w] = s;
      len[w] = s.length;
    }

    LongLongMap pairCount = new LongLongMap(1 << 16, 0);
    PairIndex index = new PairIndex();
    for (int w = 0; w < n; w++) {
      int[] s = sym[w];
      for (int i = 0; i + 1 < len[w]; i++) {
        long p = pair(s[i], s[i + 1]);
        pairCount.add(p, counts[w]);
        index.add(p, w);
      }
    }
    PairHeap heap = new PairHeap();
    pairCount.forEach(
        (p, c) -> {
          if (c > 0) {
            heap.push(c, p);
          }
        });

    List<String[]> merges = new ArrayList<>();
    List<Long> mergeCounts = new ArrayList<>();
    long[] touched = new long[64];
    LongLongMap touchedAt = new LongLongMap(1 << 16, -1);
    int[] seenAt = new int[n];
    Arrays.fill(seenAt, -1);
    long threshold = Math.max(1, minFrequency);

    while (vocab.size() < vocabSize && !heap.isEmpty()) {
      long c = heap.topCount();
      long p = heap.topPair();
      heap.pop();
      long current = pairCount.get(p);
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

      int[] list = index.take(p);
      int listSize = list == null ? 0 : index.lastSize;
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
            pairCount.add(p, -cnt);
            if (j > 0) {
              int left = s[j - 1];
              pairCount.add(pair(left, a), -cnt);
              long np = pair(left, newId);
              pairCount.add(np, cnt);
              index.add(np, w);
              if (touchedAt.get(np) != mergeNo) {
                touchedAt.put(np, mergeNo);
                touched = push(touched, nTouched++, np);
              }
            }
            if (i + 2 < wl) {
              int right = s[i + 2];
              pairCount.add(pair(b, right), -cnt);
              long np = pair(newId, right);
              pairCount.add(np, cnt);
              index.add(np, w);
              if (touchedAt.get(np) != mergeNo) {
                touchedAt.put(np, mergeNo);
                touched = push(touched, nTouched++, np);
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
        long np = touched[t];
        long nc = pairCount.get(np);
        if (nc > 0) {
          heap.push(nc, np);
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

  private static long[] push(long[] arr, int at, long v) {
    if (at == arr.length) {
      arr = Arrays.copyOf(arr, at * 2);
    }
    arr[at] = v;
    return arr;
  }

  static long pair(int left, int right) {
    return ((long) left << 32) | (right & 0xffffffffL);
  }

  /** Pair → words that contained it when they were indexed (may be stale, never missing). */
  private static final class PairIndex {
    private final LongLongMap slotOf = new LongLongMap(1 << 16, -1);
    private int[][] lists = new int[1 << 12][];
    private int[] sizes = new int[1 << 12];
    private int used;
    private final List<Integer> free = new ArrayList<>();
    int lastSize;

    void add(long p, int w) {
      int slot = (int) slotOf.get(p);
      if (slot < 0) {
        slot = free.isEmpty() ? used++ : free.remove(free.size() - 1);
        if (slot == lists.length) {
          lists = Arrays.copyOf(lists, slot * 2);
          sizes = Arrays.copyOf(sizes, slot * 2);
        }
        lists[slot] = new int[4];
        sizes[slot] = 0;
        slotOf.put(p, slot);
      }
      int[] l = lists[slot];
      int sz = sizes[slot];
      // Words are indexed one at a time, so a repeat within one word shows up as the last entry.
      if (sz > 0 && l[sz - 1] == w) {
        return;
      }
      if (sz == l.length) {
        l = Arrays.copyOf(l, sz * 2);
        lists[slot] = l;
      }
      l[sz] = w;
      sizes[slot] = sz + 1;
    }

    /** Removes and returns the list of {@code p} (its length in {@link #lastSize}), or null. */
    int[] take(long p) {
      int slot = (int) slotOf.get(p);
      if (slot < 0) {
        return null;
      }
      int[] l = lists[slot];
      lastSize = sizes[slot];
      lists[slot] = null;
      sizes[slot] = 0;
      free.add(slot);
      slotOf.put(p, -1);
      return l;
    }
  }
}
