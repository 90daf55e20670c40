package dev.sparkllm.preprocessing.steps.clean;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ControlCharRemoverTest {
  private final ControlCharRemover step = new ControlCharRemover();

  @Test
  void cleanTextIsReturnedAsTheSameInstance() {
    String text = "Tabs\tand\nnewlines stay, accents too: café, naïve, Ωmega, 東京.";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void removesC0AndC1ControlsAndDel() {
    assertThat(keep(step, "a\u0000b\u0007c\u001Bd\u007Fe\u0080f\u009Fg")).isEqualTo("abcdefg");
  }

  @Test
  void otherLineBreaksBecomeNewlines() {
    assertThat(keep(step, "a\r\nb\rc\fd\u000Be\u0085f\u2028g\u2029h"))
        .isEqualTo("a\nb\nc\nd\ne\nf\ng\nh");
  }

  @Test
  void removesZeroWidthAndOtherFormatCharacters() {
    assertThat(
            keep(
                step,
                "\uFEFFzero\u200Bwidth word\u2060joiner soft\u00ADhyphen \u200Emarked"
                    + " a\u200Db a\u200Cb"))
        .isEqualTo("zerowidth wordjoiner softhyphen marked ab ab");
  }

  @Test
  void keepsJoinersInsideEmojiSequencesAndFlagTags() {
    String family = "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67"; // man ZWJ woman ZWJ girl
    String scotland =
        "\uD83C\uDFF4\uDB40\uDC67\uDB40\uDC62\uDB40\uDC73\uDB40\uDC63\uDB40\uDC74" + "\uDB40\uDC7F";
    String text = "Family " + family + " and flag " + scotland + ".";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void dropsUnpairedSurrogatesButKeepsPairs() {
    assertThat(keep(step, "a\uD800b\uDC00c \uD83D\uDE00 x\uD83D")).isEqualTo("abc \uD83D\uDE00 x");
  }
}
