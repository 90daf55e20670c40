package dev.sparkllm.preprocessing.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing map from long to long (pair key to pair id in the BPE trainer), where a boxed
 * {@code HashMap<Long, Long>} would allocate on every lookup of the merge loop. Entries are never
 * removed; a missing key reads as {@code absent}.
 */
final class LongLongMap {
  private static final long EMPTY = Long.MIN_VALUE;
  private long[] keys;
  private long[] values;
  private int size;
  private int mask;
  private final long absent;

  LongLongMap(int expected, long absent) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    values = new long[cap];
    Arrays.fill(keys, EMPTY);
    mask = cap - 1;
    this.absent = absent;
  }

  int size() {
    return size;
  }

  private static int mix(long k) {
    long h = k * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }

  private int slot(long key) {
    int i = mix(key) & mask;
    while (keys[i] != EMPTY && keys[i] != key) {
      i = (i + 1) & mask;
    }
    return i;
  }

  long get(long key) {
    int i = slot(key);
    return keys[i] == EMPTY ? absent : values[i];
  }

  void put(long key, long value) {
    int i = slot(key);
    if (keys[i] == EMPTY) {
      keys[i] = key;
      if (++size * 2 > keys.length) {
        values[i] = value;
        grow();
        return;
      }
    }
    values[i] = value;
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new long[oldKeys.length * 2];
    Arrays.fill(keys, EMPTY);
    mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] != EMPTY) {
        int i = slot(oldKeys[j]);
        keys[i] = oldKeys[j];
        values[i] = oldValues[j];
      }
    }
  }
}
