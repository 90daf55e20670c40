package dev.sparkllm.preprocessing;

import dev.sparkllm.preprocessing.readers.FileDocumentReader;
import dev.sparkllm.preprocessing.readers.RawDoc;
import dev.sparkllm.preprocessing.steps.DocumentStep;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs the per-document steps over one partition. Each output row says whether the document was
 * kept or at which step and why it was rejected, and which steps changed it; stats are aggregated
 * from these rows, so they stay exact when Spark retries tasks (accumulators would double count).
 * Only step timings use accumulators: they are for benchmarks, not for reconciliation.
 */
public final class StepRunner implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("source", DataTypes.StringType, false)
          .add("text", DataTypes.StringType, true)
          .add("lang", DataTypes.StringType, true)
          .add("lang_confidence", DataTypes.DoubleType, true)
          .add("n_chars", DataTypes.IntegerType, false)
          .add(
              "redactions",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType),
              false)
          .add("changed_by", DataTypes.createArrayType(DataTypes.StringType), false)
          .add("step", DataTypes.StringType, true)
          .add("reason", DataTypes.StringType, true)
          .add("detail", DataTypes.StringType, true);

  public static final String READ_STEP = "read";

  /** The reason of a document on which a step threw: the step's bug must not fail the job. */
  public static final String STEP_ERROR = "step_error";

  private static final int MAX_DETAIL_CHARS = 300;

  private final List<DocumentStep> steps;
  private final Map<String, LongAccumulator> nanos;
  private final long maxDocChars;

  /**
   * @param maxDocChars documents a step grows past this (entity decoding, NFKC can turn one
   *     character into 18) are rejected as too_long, so later steps never see more than the readers
   *     let through
   */
  public StepRunner(
      List<DocumentStep> steps, Map<String, LongAccumulator> nanos, long maxDocChars) {
    this.steps = steps;
    this.nanos = nanos;
    this.maxDocChars = maxDocChars;
  }

  public Iterator<Row> run(Iterator<RawDoc> docs) {
    for (DocumentStep s : steps) {
      s.open();
    }
    long[] spent = new long[steps.size()];
    return new Iterator<Row>() {
      @Override
      public boolean hasNext() {
        boolean more = docs.hasNext();
        if (!more) {
          flushTimings(spent);
        }
        return more;
      }

      @Override
      public Row next() {
        return process(docs.next(), spent);
      }
    };
  }

  private void flushTimings(long[] spent) {
    for (int i = 0; i < steps.size(); i++) {
      if (spent[i] > 0) {
        nanos.get(steps.get(i).name()).add(spent[i]);
        spent[i] = 0;
      }
    }
  }

  Row process(RawDoc raw, long[] spent) {
    if (raw.error != null) {
      String t = raw.text == null ? "" : raw.text;
      return row(
          raw.id, raw.source, t, null, null, List.of(), READ_STEP, raw.error, raw.detail, null);
    }
    Document doc = new Document(raw.id, raw.source, raw.text);
    List<String> changed = new ArrayList<>(2);
    for (int i = 0; i < steps.size(); i++) {
      DocumentStep step = steps.get(i);
      String before = doc.text;
      long t0 = System.nanoTime();
      String reason;
      String detail = null;
      try {
        reason = step.apply(doc);
      } catch (RuntimeException | StackOverflowError e) {
        // One document a step cannot handle is that document's problem, not the task's: Spark
        // would retry the task four times and then fail the job over it.
        reason = STEP_ERROR;
        detail = oneLine(e);
        doc.text = before;
      }
      spent[i] += System.nanoTime() - t0;
      if (doc.text != before && !before.equals(doc.text)) {
        changed.add(step.name());
      }
      if (reason == null && doc.text != null && doc.text.length() > maxDocChars) {
        reason = FileDocumentReader.TOO_LONG;
        detail =
            doc.text.length()
                + " chars after this step, over "
                + maxDocChars
                + " (preprocess.reader.max_doc_chars)";
      }
      if (reason != null) {
        return row(
            doc.id,
            doc.source,
            doc.text == null ? before : doc.text,
            doc.lang,
            doc.langConfidence,
            changed,
            step.name(),
            reason,
            detail,
            doc);
      }
    }
    return row(
        doc.id, doc.source, doc.text, doc.lang, doc.langConfidence, changed, null, null, null, doc);
  }

  /** The exception's class and message on one short line. */
  static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? "" : ": " + e.getMessage();
    String s = (e.getClass().getSimpleName() + msg).replaceAll("\\s+", " ").trim();
    return s.length() > MAX_DETAIL_CHARS ? s.substring(0, MAX_DETAIL_CHARS) + "..." : s;
  }

  private static Row row(
      String id,
      String source,
      String text,
      String lang,
      Double conf,
      List<String> changed,
      String step,
      String reason,
      String detail,
      Document doc) {
    Map<String, Integer> red = doc == null ? Map.of() : doc.redactions;
    return RowFactory.create(
        id,
        source,
        text,
        lang,
        lang == null ? null : conf,
        text == null ? 0 : text.length(),
        CollectionConverters.asScala(red),
        CollectionConverters.asScala(changed).toSeq(),
        step,
        reason,
        detail);
  }
}
