package dev.sparkllm.preprocessing.steps.normalize;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import org.junit.jupiter.api.Test;

class EmojiHandlerTest {
  private static final String GRIN = "\uD83D\uDE00"; // U+1F600
  private static final String HEART_EYES = "\uD83D\uDE0D"; // U+1F60D
  private static final String WOMAN_TECHNOLOGIST_MEDIUM =
      "\uD83D\uDC69\uD83C\uDFFD\u200D\uD83D\uDCBB";
  private static final String THUMBS_UP_MEDIUM = "\uD83D\uDC4D\uD83C\uDFFD";
  private static final String FLAG_US = "\uD83C\uDDFA\uD83C\uDDF8";
  private static final String RED_HEART = "\u2764\uFE0F";
  private static final String KEYCAP_1 = "1\uFE0F\u20E3";

  private final EmojiHandler remove = new EmojiHandler(section("emoji", "mode=remove"));
  private final EmojiHandler name = new EmojiHandler(section("emoji", "mode=name"));

  @Test
  void keepModeChangesNothing() {
    EmojiHandler keepMode = new EmojiHandler(Config.defaults().section("preprocess.emoji"));
    String text = "Hi " + GRIN + " :)";
    assertThat(keep(keepMode, text)).isSameAs(text);
  }

  @Test
  void removeDropsWholeSequencesWithoutLeavingDoubleSpaces() {
    assertThat(keep(remove, "I love it " + HEART_EYES + " so much")).isEqualTo("I love it so much");
    assertThat(keep(remove, WOMAN_TECHNOLOGIST_MEDIUM + " coding all day " + THUMBS_UP_MEDIUM))
        .isEqualTo("coding all day");
    assertThat(keep(remove, "USA" + FLAG_US + " and " + RED_HEART + " and " + KEYCAP_1 + " done"))
        .isEqualTo("USA and and done");
  }

  @Test
  void textStyleSymbolsStayUnlessAskedForEmojiPresentation() {
    assertThat(keep(remove, "\u00A9 2024 ACME\u2122, a \u2194 b, \u2713 ok"))
        .isEqualTo("\u00A9 2024 ACME\u2122, a \u2194 b, ok");
    assertThat(keep(remove, "copy \u00A9\uFE0F right")).isEqualTo("copy right");
  }

  @Test
  void removesEmoticonsStandingAsWords() {
    assertThat(keep(remove, "ok :) fine :-( wink ;) love <3 :D\nXD at 10:30 see http://x.org :/"))
        .isEqualTo("ok fine wink love\nat 10:30 see http://x.org");
  }

  @Test
  void nameModeWritesUnicodeNames() {
    assertThat(keep(name, "Hi " + GRIN + "! " + THUMBS_UP_MEDIUM + " " + FLAG_US))
        .isEqualTo("Hi :grinning_face:! :thumbs_up_sign: :flag_us:");
    assertThat(keep(name, WOMAN_TECHNOLOGIST_MEDIUM + " " + RED_HEART + " " + KEYCAP_1))
        .isEqualTo(":woman_personal_computer: :heavy_black_heart: :keycap_1:");
  }

  @Test
  void nameModeNamesEmoticons() {
    assertThat(keep(name, "great :) sad :'( love <3 broken </3 lol xD ^_^"))
        .isEqualTo(
            "great :smile: sad :cry: love :heart: broken :broken_heart: lol :laugh: :happy:");
  }

  @Test
  void unknownModeIsAConfigError() {
    assertThatThrownBy(() -> new EmojiHandler(section("emoji", "mode=drop")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("keep, remove or name");
  }
}
