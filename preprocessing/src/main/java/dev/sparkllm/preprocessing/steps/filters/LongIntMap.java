package dev.sparkllm.preprocessing.steps.filters;

import java.util.Arrays;

/**
 * Open-addressing map from 64-bit n-gram hashes to counts, to count n-grams without boxing or
 * building n-gram strings. Key 0 marks an empty slot, so a hash of 0 is stored as 1 (one more
 * collision in 2^64).
 */
final class LongIntMap {
  private long[] keys;
  private int[] values;
  private int size;
  private int mask;

  LongIntMap(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    values = new int[cap];
    mask = cap - 1;
  }

  void clear() {
    Arrays.fill(keys, 0L);
    Arrays.fill(values, 0);
    size = 0;
  }

  /** Adds one to the count of {@code key}; returns the new count. */
  int increment(long key) {
    int slot = slot(key == 0 ? 1 : key);
    if (keys[slot] == 0) {
      keys[slot] = key == 0 ? 1 : key;
      if (++size * 2 > keys.length) {
        values[slot] = 1;
        grow();
        return 1;
      }
    }
    return ++values[slot];
  }

  int get(long key) {
    return values[slot(key == 0 ? 1 : key)];
  }

  private int slot(long key) {
    int i = (int) (key ^ (key >>> 32)) & mask;
    while (keys[i] != 0 && keys[i] != key) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new int[oldKeys.length * 2];
    mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != 0) {
        int s = slot(oldKeys[i]);
        keys[s] = oldKeys[i];
        values[s] = oldValues[i];
      }
    }
  }
}
