package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import org.junit.jupiter.api.Test;

class StemmerTest {

  @Test
  void porterStemsWordsInPlaceKeepingCaseAndPunctuation() {
    Stemmer porter = new Stemmer(Config.defaults().section("preprocess.stemming"));
    assertThat(keep(porter, "The runners were running quickly.\nCaresses, PONIES; cats!"))
        .isEqualTo("The runner were run quickli.\nCaress, PONI; cat!");
  }

  @Test
  void englishMinimalOnlyRemovesPlurals() {
    Stemmer minimal = new Stemmer(section("stemming", "algorithm=english_minimal"));
    assertThat(keep(minimal, "The runners were running quickly. Ponies, cats!"))
        .isEqualTo("The runner were running quickly. Pony, cat!");
  }

  @Test
  void unchangedTextIsTheSameInstance() {
    Stemmer porter = new Stemmer(Config.defaults().section("preprocess.stemming"));
    String text = "A cat sat on the mat.";
    assertThat(keep(porter, text)).isSameAs(text);
  }

  @Test
  void unknownAlgorithmIsAConfigError() {
    assertThatThrownBy(() -> new Stemmer(section("stemming", "algorithm=snowball")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("porter or english_minimal");
  }
}
