package dev.sparkllm.preprocessing.tokenize;

import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Base: pulls input rows in batches, encodes them with one tokenizer per partition. */
abstract class EncodingIterator implements Iterator<Row> {
  private final Iterator<Row> in;
  private final String json;
  private final int batchSize;
  private TokenEncoder encoder;
  private Row next;
  private boolean done;
  protected final TokenizeCounters counters;

  EncodingIterator(Iterator<Row> in, String json, int batchSize, TokenizeCounters counters) {
    this.in = in;
    this.json = json;
    this.batchSize = batchSize;
    this.counters = counters;
  }

  /** Encodes a batch of input rows and queues the output rows. */
  abstract void consume(List<Row> batch, TokenEncoder enc);

  /** The next queued output row, or null. */
  abstract Row poll();

  /** Adds this partition's counts once the input is exhausted. */
  abstract void finish();

  @Override
  public boolean hasNext() {
    while (next == null && !done) {
      next = poll();
      if (next != null) {
        break;
      }
      if (!in.hasNext()) {
        done = true;
        finish();
        if (encoder != null) {
          encoder.close();
        }
        next = poll();
        break;
      }
      if (encoder == null) {
        TokenEncoder enc = TokenEncoder.fromJson(json);
        encoder = enc;
        TaskContext tc = TaskContext.get();
        if (tc != null) {
          // Frees the native tokenizer also when the task fails midway (close is idempotent).
          tc.addTaskCompletionListener(
              (org.apache.spark.util.TaskCompletionListener) ctx -> enc.close());
        }
      }
      List<Row> batch = new ArrayList<>(batchSize);
      while (batch.size() < batchSize && in.hasNext()) {
        batch.add(in.next());
      }
      consume(batch, encoder);
    }
    return next != null;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Row r = next;
    next = null;
    return r;
  }

  /** Packed rows: documents joined by the end-of-text token, cut into rows of seq_len+1. */
  static final class Pack extends EncodingIterator {
    private final Packer packer;

    Pack(
        Iterator<Row> in,
        String json,
        int rowLength,
        int eosId,
        int batch,
        TokenizeCounters counters) {
      super(in, json, batch, counters);
      this.packer = new Packer(rowLength, eosId);
    }

    @Override
    void consume(List<Row> batch, TokenEncoder enc) {
      List<String> texts = new ArrayList<>(batch.size());
      for (Row r : batch) {
        texts.add(r.getString(0));
      }
      for (int[] ids : enc.encodeBatch(texts)) {
        packer.add(ids);
      }
    }

    @Override
    Row poll() {
      int[] row = packer.poll();
      return row == null ? null : RowFactory.create(boxed(row));
    }

    @Override
    void finish() {
      counters.addPacker(packer);
    }
  }

  static final class Pad extends EncodingIterator {
    private final Padder padder;
    private final java.util.ArrayDeque<Row> ready = new java.util.ArrayDeque<>();

    Pad(
        Iterator<Row> in,
        String json,
        int rowLength,
        int eosId,
        int padId,
        boolean left,
        int batch,
        TokenizeCounters counters) {
      super(in, json, batch, counters);
      this.padder = new Padder(rowLength, eosId, padId, left);
    }

    @Override
    void consume(List<Row> batch, TokenEncoder enc) {
      List<String> texts = new ArrayList<>(batch.size() * 2);
      for (Row r : batch) {
        texts.add(r.getString(0));
        texts.add(r.getString(1));
      }
      int[][] ids = enc.encodeBatch(texts);
      for (int i = 0; i < batch.size(); i++) {
        int[][] row = padder.build(ids[2 * i], ids[2 * i + 1]);
        if (row != null) {
          ready.add(RowFactory.create(boxed(row[0]), boxed(row[1])));
        }
      }
    }

    @Override
    Row poll() {
      return ready.poll();
    }

    @Override
    void finish() {
      counters.addPadder(padder);
    }
  }

  static Object boxed(int[] ids) {
    Integer[] out = new Integer[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }
}
