package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContractionExpanderTest {
  private final ContractionExpander step = new ContractionExpander();

  @Test
  void expandsIrregularAndRegularNegations() {
    assertThat(keep(step, "I can't go; you won't either, they don't care and we shan't ask."))
        .isEqualTo("I cannot go; you will not either, they do not care and we shall not ask.");
  }

  @Test
  void keepsTheCaseOfTheFirstLetterAndOfAllCaps() {
    assertThat(keep(step, "Won't you? Can't we? Isn't it? DON'T! I'M here."))
        .isEqualTo("Will not you? Cannot we? Is not it? DO NOT! I AM here.");
  }

  @Test
  void handlesCurlyApostrophesAndPronounForms() {
    assertThat(
            keep(
                step,
                "It\u2019s fine, we\u2019re here, I\u2019ve been, you\u2019ll see, I\u2019m sure,"
                    + " I\u2019d go, let\u2019s go."))
        .isEqualTo(
            "It is fine, we are here, I have been, you will see, I am sure, I would go, let us go.");
  }

  @Test
  void possessivesAndOtherApostrophesStay() {
    assertThat(keep(step, "John's car isn't Mary's; it's 5 o'clock, rock 'n' roll."))
        .isEqualTo("John's car is not Mary's; it is 5 o'clock, rock 'n' roll.");
  }

  @Test
  void textWithoutApostrophesIsTheSameInstance() {
    String text = "Nothing to expand here.";
    assertThat(keep(step, text)).isSameAs(text);
  }
}
