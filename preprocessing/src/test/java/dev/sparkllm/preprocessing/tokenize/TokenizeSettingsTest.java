package dev.sparkllm.preprocessing.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.TokenizeMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizeSettingsTest {
  private static TokenizeSettings settings(String mode) {
    return TokenizeSettings.from(
        Config.load(null, List.of("tokenize.mode=" + mode)).section("tokenize"));
  }

  @Test
  void modeIsParsedOnceIntoTheEnum() {
    assertThat(settings("packed").mode()).isEqualTo(TokenizeMode.PACKED);
    assertThat(settings("padded").mode()).isEqualTo(TokenizeMode.PADDED);
    assertThat(TokenizeMode.PADDED.toString()).isEqualTo("padded");
  }

  @Test
  void anUnknownModeNamesTheKey() {
    assertThatThrownBy(() -> settings("stacked"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessage("config key 'tokenize.mode' must be packed or padded, got 'stacked'");
  }
}
