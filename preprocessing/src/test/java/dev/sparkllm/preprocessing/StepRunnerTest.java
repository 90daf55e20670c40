package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.readers.RawDoc;
import dev.sparkllm.preprocessing.steps.DocumentStep;
import dev.sparkllm.preprocessing.steps.NamedStep;
import dev.sparkllm.preprocessing.steps.clean.UnicodeNfkc;
import dev.sparkllm.preprocessing.steps.clean.WhitespaceNormalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

/** Per-document failures stay per document: a step's exception or a blown-up text is one row. */
class StepRunnerTest {
  /** A step with a bug that only one document triggers. */
  static final class BrittleStep extends NamedStep {
    private static final long serialVersionUID = 1L;

    BrittleStep() {
      super("brittle");
    }

    @Override
    public String apply(Document doc) {
      if (doc.text.contains("trigger")) {
        throw new IllegalStateException("cannot parse\n  this\tdocument");
      }
      return null;
    }
  }

  private static Map<String, Row> run(List<DocumentStep> steps, long maxDocChars, RawDoc... docs) {
    Map<String, LongAccumulator> nanos = new LinkedHashMap<>();
    steps.forEach(s -> nanos.put(s.name(), new LongAccumulator()));
    Iterator<Row> rows = new StepRunner(steps, nanos, maxDocChars).run(List.of(docs).iterator());
    Map<String, Row> out = new HashMap<>();
    rows.forEachRemaining(r -> out.put(r.getString(0), r));
    return out;
  }

  /** Rows from the runner carry no schema; its fields are where StepRunner.SCHEMA puts them. */
  private static String field(Row r, String name) {
    return r.getString(StepRunner.SCHEMA.fieldIndex(name));
  }

  private static RawDoc doc(String id, String text) {
    return new RawDoc(id, "test", text, null, null);
  }

  private static Config section(String name) {
    return Config.load(null, List.of()).section("preprocess." + name);
  }

  @Test
  void aStepThatThrowsRejectsOnlyThatDocument() {
    List<DocumentStep> steps =
        new ArrayList<>(List.of(new BrittleStep(), new WhitespaceNormalizer()));

    Map<String, Row> rows =
        run(steps, 1000, doc("a", "fine  text"), doc("b", "the trigger"), doc("c", "more  text"));

    assertThat(rows).hasSize(3);
    Row bad = rows.get("b");
    assertThat(field(bad, "step")).isEqualTo("brittle");
    assertThat(field(bad, "reason")).isEqualTo("step_error");
    assertThat(field(bad, "detail")).isEqualTo("IllegalStateException: cannot parse this document");
    assertThat(field(bad, "text")).isEqualTo("the trigger");
    assertThat(field(rows.get("a"), "reason")).isNull();
    assertThat(field(rows.get("c"), "text")).isEqualTo("more text");
  }

  @Test
  void aStepThatGrowsADocumentPastTheCapRejectsItAsTooLong() {
    // U+FDFA is one character that NFKC spells out in 18.
    String expanding = "\uFDFA".repeat(100);
    List<DocumentStep> steps = List.of(new UnicodeNfkc(), new WhitespaceNormalizer());

    Map<String, Row> rows = run(steps, 1000, doc("x", expanding), doc("ok", "plain text"));

    Row x = rows.get("x");
    assertThat(field(x, "step")).isEqualTo("unicode_nfkc");
    assertThat(field(x, "reason")).isEqualTo("too_long");
    assertThat(field(x, "detail")).contains("1800 chars", "preprocess.reader.max_doc_chars");
    assertThat(field(rows.get("ok"), "reason")).isNull();
  }
}
