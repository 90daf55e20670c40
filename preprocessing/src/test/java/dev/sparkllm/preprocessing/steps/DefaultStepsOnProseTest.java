package dev.sparkllm.preprocessing.steps;

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
import java.util.List;
import org.junit.jupiter.api.Test;

/** The steps enabled by default must not harm ordinary edited prose (the Brown demo corpus). */
class DefaultStepsOnProseTest {

  @Test
  void everyDefaultStepKeepsEditedProseUnchanged() {
    Config p = Config.defaults().section("preprocess");
    List<DocumentStep> steps =
        List.of(
            new HtmlCleaner(),
            new ControlCharRemover(),
            new UnicodeNfkc(),
            new WhitespaceNormalizer(),
            new GopherQualityFilter(p.section("gopher_quality")),
            new GopherRepetitionFilter(p.section("gopher_repetition")),
            new C4QualityFilter(p.section("c4_quality")));
    Document doc = new Document("brown-like", "test", Prose.PARAGRAPHS);
    for (DocumentStep step : steps) {
      step.open();
      assertThat(step.apply(doc)).as(step.name()).isNull();
    }
    assertThat(doc.text).isEqualTo(Prose.PARAGRAPHS.strip());
  }
}
