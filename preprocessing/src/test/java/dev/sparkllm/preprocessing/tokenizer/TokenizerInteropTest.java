package dev.sparkllm.preprocessing.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our tokenizer.json against Hugging Face's own library (fixtures made by make_fixture.js with the
 * Node binding of HF tokenizers, in the same folder). Set REGENERATE_TOKENIZER_FIXTURES=1 to
 * rewrite tokenizer.json from the trainer, then rerun make_fixture.js.
 */
class TokenizerInteropTest {
  static final Path DIR = Path.of("src/test/resources/tokenizer-interop");
  static final List<String> SPECIALS = List.of("<|endoftext|>", "<|pad|>");

  /** corpus.txt as HF's trainer reads a file: one sequence per line, "\n" kept. */
  static List<String> corpusLines() throws Exception {
    String corpus = Files.readString(DIR.resolve("corpus.txt"), StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>();
    int from = 0;
    while (from < corpus.length()) {
      int nl = corpus.indexOf('\n', from);
      int to = nl < 0 ? corpus.length() : nl + 1;
      lines.add(corpus.substring(from, to));
      from = to;
    }
    return lines;
  }

  static final Map<String, String> FILES =
      Map.of("bpe", "tokenizer.json", "char", "tokenizer-char.json", "word", "tokenizer-word.json");

  static String trainFixtureTokenizer(String type) throws Exception {
    Map<String, Long> counts = PreTokenCounter.count(corpusLines().iterator(), type, SPECIALS);
    int vocab = "bpe".equals(type) ? 600 : 120;
    TokenizerSettings s =
        new TokenizerSettings(type, vocab, 2, SPECIALS, "<unk>", "train", "validation", 0);
    return TrainTokenizerJob.train(s, counts).json();
  }

  @ParameterizedTest
  @ValueSource(strings = {"bpe", "char", "word"})
  void committedTokenizerIsWhatTheTrainerWritesToday(String type) throws Exception {
    String json = trainFixtureTokenizer(type);
    Path committed = DIR.resolve(FILES.get(type));
    if ("1".equals(System.getenv("REGENERATE_TOKENIZER_FIXTURES"))) {
      Files.writeString(committed, json, StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(committed, StandardCharsets.UTF_8)).isEqualTo(json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bpe", "char", "word"})
  void djlIdsEqualHuggingFaceIds(String type) throws Exception {
    String text = Files.readString(DIR.resolve("text.txt"), StandardCharsets.UTF_8);
    JsonNode expected = Json.MAPPER.readTree(DIR.resolve("expected_ids.json").toFile()).get(type);
    try (TokenEncoder enc = TokenEncoder.load(DIR.resolve(FILES.get(type)).toString())) {
      int[] whole = enc.encode(text);
      assertThat(whole).containsExactly(ints(expected.get("whole")));
      if (!"word".equals(type)) {
        // Longer than DJL's default 512-token cut: proves truncation is off.
        assertThat(whole.length).isGreaterThan(512);
      }
      assertThat(enc.decode(whole)).isEqualTo(expected.get("decoded").asText());
      if ("bpe".equals(type)) {
        assertThat(enc.decode(whole)).isEqualTo(text);
      }
      String[] lines = text.split("\n", -1);
      assertThat(expected.get("lines").size()).isEqualTo(lines.length);
      List<String> batch = List.of(lines);
      int[][] batched = enc.encodeBatch(batch);
      for (int i = 0; i < lines.length; i++) {
        int[] want = ints(expected.get("lines").get(i));
        assertThat(enc.encode(lines[i])).as("line %d", i).containsExactly(want);
        assertThat(batched[i]).as("batched line %d", i).containsExactly(want);
      }
    }
  }

  @Test
  void javaPreTokenizationMatchesHuggingFaceRegex() throws Exception {
    // The word tokenizer's ids are exactly HF's regex split looked up in the vocabulary, so they
    // show whether Java's regex (training) cuts text where Oniguruma (encoding) does.
    String text = Files.readString(DIR.resolve("text.txt"), StandardCharsets.UTF_8);
    JsonNode root = Json.MAPPER.readTree(DIR.resolve("tokenizer-word.json").toFile());
    JsonNode vocab = root.get("model").get("vocab");
    int unk = vocab.get("<unk>").asInt();
    List<Integer> ours = new ArrayList<>();
    String rest = text;
    for (String piece : ByteLevel.preTokens(rest, SPECIALS)) {
      ours.add(vocab.has(piece) ? vocab.get(piece).asInt() : unk);
    }
    JsonNode expected = Json.MAPPER.readTree(DIR.resolve("expected_ids.json").toFile());
    List<Integer> hf = new ArrayList<>();
    expected.get("word").get("whole").forEach(n -> hf.add(n.asInt()));
    // Specials in text.txt become their own ids in HF; drop them to compare the regex pieces.
    hf.removeIf(id -> id < SPECIALS.size());
    assertThat(ours).containsExactlyElementsOf(hf);
  }

  @Test
  void mergesEqualHuggingFaceBpeTrainer() throws Exception {
    // HF's defaults in make_fixture.js: no specials, min_frequency 0, train until no pair is left.
    Map<String, Long> counts = PreTokenCounter.count(corpusLines().iterator(), "bpe", List.of());
    String[] words =
        counts.keySet().stream().filter(k -> !PreTokenCounter.isStat(k)).toArray(String[]::new);
    long[] c = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      c[i] = counts.get(words[i]);
    }
    BpeTrainer.Model m = new BpeTrainer(List.of(), 1_000_000, 0).train(words, c);
    List<String> ours = m.merges().stream().map(x -> x[0] + " " + x[1]).toList();
    List<String> hf = new ArrayList<>();
    Json.MAPPER.readTree(DIR.resolve("hf_merges.json").toFile()).forEach(n -> hf.add(n.asText()));
    assertThat(ours).hasSize(hf.size());
    assertThat(ours).containsExactlyElementsOf(hf);
  }

  static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }
}
