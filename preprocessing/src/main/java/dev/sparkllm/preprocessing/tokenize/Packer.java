package dev.sparkllm.preprocessing.tokenize;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Packs documents for pretraining: each document's ids then the end-of-text id, concatenated and
 * cut into rows of {@code rowLength} ids (no overlap). A document longer than a row continues in
 * the next; one row may hold several documents.
 *
 * <p>Tail: the ids left after the last full row of a shard are dropped and counted in {@link
 * #tailTokens()}, so {@code docTokens + eosTokens == rows * rowLength + tailTokens}. Documents that
 * encode to no ids (empty text) are counted and skipped: they get no end-of-text either.
 */
public final class Packer {
  private final int rowLength;
  private final int eosId;
  private int[] buf;
  private int filled;
  private final ArrayDeque<int[]> ready = new ArrayDeque<>();

  long documents;
  long emptyDocuments;
  long docTokens;
  long eosTokens;
  long rows;

  public Packer(int rowLength, int eosId) {
    this.rowLength = rowLength;
    this.eosId = eosId;
    this.buf = new int[rowLength];
  }

  public void add(int[] ids) {
    documents++;
    if (ids.length == 0) {
      emptyDocuments++;
      return;
    }
    docTokens += ids.length;
    eosTokens++;
    int at = 0;
    while (at < ids.length) {
      int n = Math.min(ids.length - at, rowLength - filled);
      System.arraycopy(ids, at, buf, filled, n);
      filled += n;
      at += n;
      emitIfFull();
    }
    buf[filled++] = eosId;
    emitIfFull();
  }

  private void emitIfFull() {
    if (filled == rowLength) {
      ready.add(buf);
      rows++;
      buf = new int[rowLength];
      filled = 0;
    }
  }

  /** Next complete row, or null. */
  public int[] poll() {
    return ready.poll();
  }

  /** Ids waiting for a row to fill; after the last document these are the dropped tail. */
  public long tailTokens() {
    return filled;
  }

  public int[] tail() {
    return Arrays.copyOf(buf, filled);
  }

  public long documents() {
    return documents;
  }

  public long emptyDocuments() {
    return emptyDocuments;
  }

  public long docTokens() {
    return docTokens;
  }

  public long eosTokens() {
    return eosTokens;
  }

  public long rows() {
    return rows;
  }
}
