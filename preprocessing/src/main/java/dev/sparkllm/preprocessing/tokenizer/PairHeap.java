package dev.sparkllm.preprocessing.tokenizer;

import java.util.Arrays;

/**
 * Binary max-heap of (count, pair) in two primitive arrays. Order: higher count first, then the
 * smaller pair key, i.e. the smaller (left id, right id) — the BPE tie rule.
 */
final class PairHeap {
  private long[] counts = new long[1024];
  private long[] pairs = new long[1024];
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  long topCount() {
    return counts[0];
  }

  long topPair() {
    return pairs[0];
  }

  private boolean before(int i, int j) {
    return counts[i] > counts[j] || (counts[i] == counts[j] && pairs[i] < pairs[j]);
  }

  void push(long count, long pair) {
    if (size == counts.length) {
      counts = Arrays.copyOf(counts, size * 2);
      pairs = Arrays.copyOf(pairs, size * 2);
    }
    int i = size++;
    counts[i] = count;
    pairs[i] = pair;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(i, parent)) {
        break;
      }
      swap(i, parent);
      i = parent;
    }
  }

  void pop() {
    size--;
    counts[0] = counts[size];
    pairs[0] = pairs[size];
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        break;
      }
      int best = l + 1 < size && before(l + 1, l) ? l + 1 : l;
      if (!before(best, i)) {
        break;
      }
      swap(i, best);
      i = best;
    }
  }

  private void swap(int i, int j) {
    long c = counts[i];
    counts[i] = counts[j];
    counts[j] = c;
    long p = pairs[i];
    pairs[i] = pairs[j];
    pairs[j] = p;
  }
}
