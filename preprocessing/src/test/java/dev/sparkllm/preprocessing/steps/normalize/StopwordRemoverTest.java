package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import org.junit.jupiter.api.Test;

class StopwordRemoverTest {
  private final StopwordRemover step =
      new StopwordRemover(Config.defaults().section("preprocess.stopword_removal"));

  @Test
  void defaultListIsLucenesEnglishStopWords() {
    assertThat(step.stopWords()).hasSize(33).contains("the", "and", "with").doesNotContain("have");
  }

  @Test
  void removesStopWordsCaseInsensitivelyKeepingPunctuationWithNeighbours() {
    assertThat(keep(step, "The cat sat on the mat.\nIt is what it is.\n\"The end\" is near"))
        .isEqualTo("cat sat mat.\nwhat.\n\"end\" near");
  }

  @Test
  void linesWithoutStopWordsKeepTheirSpacing() {
    String text = "cats  sleep\tall day";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void configurableList() {
    StopwordRemover custom = new StopwordRemover(section("stopword_removal", "words=[cat, Dog]"));
    assertThat(keep(custom, "The cat and the dog sat.")).isEqualTo("The and the sat.");
  }

  @Test
  void onlyStopWordsIsEmpty() {
    assertThat(reason(step, "It is that, and this was it")).isEqualTo("empty");
  }
}
