package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenManifestTest {
  @TempDir Path tmp;

  /** manifest.json as the tokenize job wrote it before TokenManifest existed (packed mode). */
  private static final String PACKED =
      """
      {
        "mode" : "packed",
        "seq_len" : 8,
        "row_length" : 9,
        "tokenizer" : "tokenizer.json",
        "tokenizer_sha256" : "abc123",
        "vocab_size" : 300,
        "eos_token" : "<|endoftext|>",
        "eos_id" : 0,
        "seed" : 42,
        "config_hash" : "ffee",
        "missing_splits" : [ "test" ],
        "splits" : {
          "train" : {
            "shards" : 2,
            "files" : [ "tokens/split=train/part-00000-x.parquet", "tokens/split=train/part-00001-x.parquet" ],
            "documents" : 10,
            "sequences" : 5,
            "input_tokens" : 50,
            "tokens" : 45,
            "empty_documents" : 1,
            "tail_tokens" : 5
          },
          "validation" : {
            "shards" : 1,
            "files" : [ ],
            "documents" : 0,
            "sequences" : 0,
            "input_tokens" : 0,
            "tokens" : 0,
            "empty_documents" : 0,
            "tail_tokens" : 0
          }
        }
      }
      """;

  private static final String PADDED =
      """
      {
        "mode" : "padded",
        "seq_len" : 16,
        "row_length" : 17,
        "tokenizer" : "tokenizer.json",
        "tokenizer_sha256" : "abc123",
        "vocab_size" : 300,
        "eos_token" : "<|endoftext|>",
        "eos_id" : 0,
        "pad_token" : "<|pad|>",
        "pad_id" : 1,
        "truncation_side" : "left",
        "seed" : -7,
        "config_hash" : "ffee",
        "missing_splits" : [ ],
        "splits" : {
          "train" : {
            "shards" : 1,
            "files" : [ "tokens/split=train/part-00000-x.parquet" ],
            "documents" : 3,
            "sequences" : 2,
            "input_tokens" : 40,
            "tokens" : 30,
            "truncated_examples" : 1,
            "truncated_tokens" : 4,
            "dropped_examples" : 1,
            "dropped_tokens" : 9,
            "pad_tokens" : 4,
            "loss_tokens" : 12
          }
        }
      }
      """;

  private String dir(String json) throws IOException {
    Path d = Files.createTempDirectory(tmp, "data");
    Files.writeString(d.resolve("manifest.json"), json);
    return d.toString();
  }

  private String rewritten(TokenManifest m) throws IOException {
    Path d = Files.createTempDirectory(tmp, "out");
    m.write(d.toString());
    return Files.readString(d.resolve("manifest.json"));
  }

  @Test
  void readsAndRewritesTheTokenizeJobsFilesByteForByte() throws IOException {
    for (String json : List.of(PACKED, PADDED)) {
      TokenManifest m = TokenManifest.read(dir(json));
      assertThat(rewritten(m)).isEqualTo(json);
      assertThat(TokenManifest.read(dir(rewritten(m)))).isEqualTo(m);
    }
    TokenManifest packed = TokenManifest.read(dir(PACKED));
    assertThat(packed.seqLen()).isEqualTo(8);
    assertThat(packed.vocabSize()).isEqualTo(300);
    assertThat(packed.tokenizerSha256()).isEqualTo("abc123");
    assertThat(packed.tokenize().mode()).isEqualTo(TokenizeMode.PACKED);
    assertThat(packed.tokenize().padding()).isNull();
    assertThat(packed.tokenize().splits().keySet()).containsExactly("train", "validation");
    assertThat(packed.tokenize().splits().get("train").packed().tailTokens()).isEqualTo(5);
    TokenManifest padded = TokenManifest.read(dir(PADDED));
    assertThat(padded.tokenize().padding())
        .isEqualTo(new TokenManifest.Padding("<|pad|>", 1, "left"));
    assertThat(padded.tokenize().splits().get("train").padded().lossTokens()).isEqualTo(12);
    assertThat(padded.tokenize().seed()).isEqualTo(-7);
  }

  @Test
  void minimalManifestHasOnlyWhatTrainingNeeds() throws IOException {
    TokenManifest m = TokenManifest.minimal(8, 64, null);
    String json = rewritten(m);
    assertThat(json)
        .isEqualTo(
            "{\n  \"seq_len\" : 8,\n  \"vocab_size\" : 64,\n  \"tokenizer_sha256\" : null\n}\n");
    TokenManifest back = TokenManifest.read(dir(json));
    assertThat(back).isEqualTo(m);
    assertThat(back.tokenize()).isNull();
  }

  @Test
  void missingDataOrManifestSaysToPassTheTokenizeOutput() throws IOException {
    String none = tmp.resolve("nope").toString();
    assertThatThrownBy(() -> TokenManifest.read(none))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("data path " + none + " does not exist")
        .hasMessageContaining("--data");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> TokenManifest.read(empty.toString()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("manifest.json is missing")
        .hasMessageContaining("--data must be the output directory of the tokenize job");
    String broken = dir("{ not json");
    assertThatThrownBy(() -> TokenManifest.read(broken))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("manifest.json is not valid JSON");
  }

  @Test
  void aMissingFieldIsNamedWithItsFile() throws IOException {
    String noVocab = dir("{\"seq_len\": 8}");
    assertThatThrownBy(() -> TokenManifest.read(noVocab))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(noVocab)
        .hasMessageContaining("manifest.json lacks the integer field 'vocab_size'");
    String noTail = dir(PACKED.replace("\"tail_tokens\" : 5", "\"other\" : 5"));
    assertThatThrownBy(() -> TokenManifest.read(noTail))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("manifest.json lacks the integer field 'splits.train.tail_tokens'");
    String noPad = dir(PADDED.replace("\"pad_id\" : 1,", ""));
    assertThatThrownBy(() -> TokenManifest.read(noPad))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("manifest.json lacks the integer field 'pad_id'");
  }

  @Test
  void anUnknownModeIsNamedWithItsFile() throws IOException {
    String d = dir(PACKED.replace("\"packed\"", "\"stacked\""));
    assertThatThrownBy(() -> TokenManifest.read(d))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(d)
        .hasMessageContaining(
            "manifest.json: field 'mode' must be packed or padded, got 'stacked'");
  }

  @Test
  void aFieldOfTheWrongTypeIsNamedWithItsFile() throws IOException {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put(PACKED.replace("\"seq_len\" : 8", "\"seq_len\" : \"8\""), "integer field 'seq_len'");
    cases.put(PACKED.replace("\"seq_len\" : 8", "\"seq_len\" : 8.5"), "integer field 'seq_len'");
    cases.put(
        PACKED.replace("\"tokenizer_sha256\" : \"abc123\"", "\"tokenizer_sha256\" : 5"),
        "string (or null) field 'tokenizer_sha256'");
    cases.put(
        PACKED.replace("\"eos_token\" : \"<|endoftext|>\"", "\"eos_token\" : []"), "'eos_token'");
    cases.put(
        PACKED.replace("\"missing_splits\" : [ \"test\" ]", "\"missing_splits\" : [ 1 ]"),
        "'missing_splits'");
    cases.put(
        PACKED.replace("\"documents\" : 10", "\"documents\" : true"), "'splits.train.documents'");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      String d = dir(c.getKey());
      assertThatThrownBy(() -> TokenManifest.read(d))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining(Path.of(d, "manifest.json").toString())
          .hasMessageContaining(c.getValue());
    }
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    TokenManifest m = TokenManifest.read(dir(PADDED));
    var bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(m);
    }
    try (var in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(m);
    }
  }
}
