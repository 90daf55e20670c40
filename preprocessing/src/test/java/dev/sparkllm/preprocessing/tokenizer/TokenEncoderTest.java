package dev.sparkllm.preprocessing.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Round trips through DJL. "Round trip" means: decode(encode(x)) == x for every valid UTF-16
 * string; for a string with unpaired surrogates (not encodable in UTF-8) it equals x with each
 * unpaired surrogate replaced by U+FFFD ({@link ByteLevel#sanitize}), like Rust's from_utf16_lossy.
 */
class TokenEncoderTest {
  static final List<String> SPECIALS = TokenizerInteropTest.SPECIALS;
  static TokenEncoder bpe;

  @BeforeAll
  static void load() throws Exception {
    bpe = TokenEncoder.fromJson(TokenizerInteropTest.trainFixtureTokenizer("bpe"));
  }

  @AfterAll
  static void close() {
    bpe.close();
  }

  private static final int[][] RANGES = {
    {0x00, 0x7f}, // ASCII incl. controls and NUL
    {0x80, 0x2ff}, // Latin-1, Latin Extended
    {0x300, 0x36f}, // combining marks
    {0x4e00, 0x4fff}, // CJK
    {0xac00, 0xac40}, // Hangul
    {0x2000, 0x206f}, // general punctuation incl. ZWJ, NBSP-like spaces
    {0x3000, 0x3003}, // ideographic space
    {0xfff0, 0xffff}, // specials, noncharacters
    {0x1f300, 0x1faff}, // emoji
    {0x1f1e6, 0x1f1ff}, // regional indicators
    {0x10000, 0x1004f}, // Linear B
    {0xe0000, 0xe007f}, // tags
    {0x10fff0, 0x10ffff}, // last plane
  };

  static String randomText(Random rnd, int codePoints, boolean loneSurrogates) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < codePoints; i++) {
      int r = rnd.nextInt(20);
      if (loneSurrogates && r == 0) {
        sb.append((char) (0xd800 + rnd.nextInt(0x800)));
      } else if (r < 4) {
        sb.append(" ");
      } else {
        int[] range = RANGES[rnd.nextInt(RANGES.length)];
        sb.appendCodePoint(range[0] + rnd.nextInt(range[1] - range[0] + 1));
      }
    }
    return sb.toString();
  }

  @Test
  void validUnicodeRoundTripsExactly() {
    Random rnd = new Random(42);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      texts.add(randomText(rnd, 1 + rnd.nextInt(200), false));
    }
    texts.add("");
    texts.add("👩‍👩‍👧‍👦🏳️‍🌈 e\u0301 Ａｂｃ 𝔘𝔫𝔦 \u0000\r\n\t\u000b\u000c\u0085\u00a0\u2028");
    texts.add("x".repeat(5000) + " " + "😀".repeat(1000));
    int[][] batch = bpe.encodeBatch(texts);
    for (int i = 0; i < texts.size(); i++) {
      String t = texts.get(i);
      int[] ids = bpe.encode(t);
      assertThat(batch[i]).as("batch == single for text %d", i).containsExactly(ids);
      assertThat(bpe.decode(ids)).as("text %d", i).isEqualTo(t);
    }
  }

  @Test
  void unpairedSurrogatesBecomeReplacementCharacters() {
    assertThat(ByteLevel.sanitize("a\ud800b")).isEqualTo("a\ufffdb");
    assertThat(ByteLevel.sanitize("\udc00😀\ud83d")).isEqualTo("\ufffd😀\ufffd");
    String valid = "😀 ok";
    assertThat(ByteLevel.sanitize(valid)).isSameAs(valid);
    String broken = "emoji 😀 stays, lone \ud83d here and \ude00 there, 字 too";
    assertThat(bpe.decode(bpe.encode(broken)))
        .isEqualTo("emoji 😀 stays, lone \ufffd here and \ufffd there, 字 too");
    Random rnd = new Random(3);
    for (int i = 0; i < 100; i++) {
      String t = randomText(rnd, 1 + rnd.nextInt(100), true);
      assertThat(bpe.decode(bpe.encode(t))).isEqualTo(ByteLevel.sanitize(t));
    }
  }

  @Test
  void specialTokensInTextAreMatchedAndDecodedBack() {
    String t = "end<|endoftext|>start <|pad|>";
    int[] ids = bpe.encode(t);
    assertThat(ids).contains(0, 1);
    assertThat(bpe.decode(ids)).isEqualTo(t);
    assertThat(bpe.specialId("<|endoftext|>")).isZero();
    assertThat(bpe.specialId("<|pad|>")).isEqualTo(1);
    assertThat(bpe.specialId("<unk>")).isEqualTo(-1);
  }

  @Test
  void preTokensFollowGpt2() {
    assertThat(ByteLevel.preTokens("Hello world's  end!!\n\n x", List.of()))
        .containsExactly("Hello", " world", "'s", " ", " end", "!!", "\n\n", " x");
    assertThat(ByteLevel.preTokens("a<|endoftext|>b  <|pad|>", SPECIALS))
        .containsExactly("a", "b", "  ");
    // Unicode spaces count as \s (Oniguruma semantics) but only ' ' joins the next word.
    assertThat(ByteLevel.preTokens("a\u00a0b\u3000c", List.of()))
        .containsExactly("a", "\u00a0", "b", "\u3000", "c");
    assertThat(ByteLevel.toByteLevel(" é")).isEqualTo("ĠÃ©");
    assertThat(new String(ByteLevel.fromByteLevel("ĠÃ©"), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(" é");
  }

  @Test
  void charAndWordTokenizersEncodeTheirUnits() {
    Map<String, Long> counts =
        PreTokenCounter.count(
            List.of("the cat sat on the mat", "the cat ate").iterator(), "word", SPECIALS);
    TokenizerSettings word = new TokenizerSettings("word", 6, 2, SPECIALS, "<unk>", "train", "", 0);
    String wordJson = TrainTokenizerJob.train(word, counts).json();
    // vocab: specials 0-1, <unk> 2, then by count: "the"(2)... " cat"(2) " the"... ties by string.
    try (TokenEncoder enc = TokenEncoder.fromJson(wordJson)) {
      int[] ids = enc.encode("the cat sat");
      assertThat(enc.decode(ids)).isEqualTo("the cat<unk>");
      assertThat(ids).hasSize(3);
    }
    Map<String, Long> chars =
        PreTokenCounter.count(List.of("aab😀😀", "b😀").iterator(), "char", SPECIALS);
    assertThat(chars).containsEntry("😀", 3L).containsEntry("a", 2L).containsEntry("b", 2L);
    TokenizerSettings ch = new TokenizerSettings("char", 5, 1, SPECIALS, "<unk>", "train", "", 0);
    String charJson = TrainTokenizerJob.train(ch, chars).json();
    try (TokenEncoder enc = TokenEncoder.fromJson(charJson)) {
      // Only two chars fit: 😀 (3) then a (2, before b by string order).
      assertThat(enc.encode("a😀b<|pad|>")).containsExactly(4, 3, 2, 1);
      assertThat(enc.decode(enc.encode("a😀b"))).isEqualTo("a😀<unk>");
    }
  }
}
