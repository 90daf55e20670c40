package dev.sparkllm.preprocessing.steps;

import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.clean.ControlCharRemover;
import dev.sparkllm.preprocessing.steps.clean.HtmlCleaner;
import dev.sparkllm.preprocessing.steps.clean.UnicodeNfkc;
import dev.sparkllm.preprocessing.steps.clean.WhitespaceNormalizer;
import dev.sparkllm.preprocessing.steps.filters.C4QualityFilter;
import dev.sparkllm.preprocessing.steps.filters.GopherQualityFilter;
import dev.sparkllm.preprocessing.steps.filters.GopherRepetitionFilter;
import dev.sparkllm.preprocessing.steps.normalize.ContractionExpander;
import dev.sparkllm.preprocessing.steps.normalize.EmojiHandler;
import dev.sparkllm.preprocessing.steps.normalize.Lowercaser;
import dev.sparkllm.preprocessing.steps.normalize.PunctuationRemover;
import dev.sparkllm.preprocessing.steps.normalize.Stemmer;
import dev.sparkllm.preprocessing.steps.normalize.StopwordRemover;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Steps are built on the driver and shipped to executors, so each must survive serialization. */
class StepsSerializableTest {

  @Test
  void everyStepWorksAfterJavaSerialization() throws Exception {
    Config p = Config.defaults().section("preprocess");
    List<DocumentStep> steps =
        List.of(
            new HtmlCleaner(),
            new ControlCharRemover(),
            new UnicodeNfkc(),
            new WhitespaceNormalizer(),
            new Lowercaser(),
            new PunctuationRemover(),
            new ContractionExpander(),
            new StopwordRemover(p.section("stopword_removal")),
            new Stemmer(p.section("stemming")),
            new EmojiHandler(section("emoji", "mode=name")),
            new GopherQualityFilter(p.section("gopher_quality")),
            new GopherRepetitionFilter(p.section("gopher_repetition")),
            new C4QualityFilter(p.section("c4_quality")));
    for (DocumentStep step : steps) {
      step.open(); // loads transient resources, which must not be serialized
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(step);
      }
      DocumentStep copy;
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        copy = (DocumentStep) in.readObject();
      }
      copy.open();
      Document a = new Document("a", "s", Prose.PARAGRAPHS);
      Document b = new Document("b", "s", Prose.PARAGRAPHS);
      assertThat(copy.apply(b)).as(step.name()).isEqualTo(step.apply(a));
      assertThat(b.text).as(step.name()).isEqualTo(a.text);
      assertThat(copy.name()).isEqualTo(step.name());
    }
  }
}
