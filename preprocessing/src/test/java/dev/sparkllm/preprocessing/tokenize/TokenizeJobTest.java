package dev.sparkllm.preprocessing.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import dev.sparkllm.preprocessing.tokenizer.TrainTokenizerJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** train-tokenizer then tokenize on a preprocess-shaped directory made here with Spark. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TokenizeJobTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static String input;
  static String tokenizerDir;
  static TrainTokenizerJob.Result trained;

  static final StructType DOCS =
      new StructType().add("id", "string").add("text", "string").add("split", "string");

  static List<Row> docs() {
    List<Row> rows = new ArrayList<>();
    String[] train = {
      "The cat sat on the mat. The cat ate the rat.",
      "",
      "A dog, a log and a frog: 12 logs in 2024!",
      "Émile a mangé une crème brûlée à Paris. 東京 😀",
      "the the the cat cat mat mat rat",
      "Tokenizers tokenize tokens; tokens decode to text.",
      "x".repeat(300)
    };
    for (int i = 0; i < train.length; i++) {
      rows.add(RowFactory.create("tr-" + i, train[i], "train"));
    }
    // Only in validation: must never become a merge.
    rows.add(RowFactory.create("va-0", "zqzqzqzq zqzqzqzq zqzqzqzq zqzqzqzq", "validation"));
    rows.add(RowFactory.create("va-1", "The cat sat.", "validation"));
    rows.add(RowFactory.create("te-0", "a", "test"));
    return rows;
  }

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.start();
    input = tmp.resolve("pre").toString();
    writeDocs(input, 1);
    tokenizerDir = tmp.resolve("tok").toString();
    Config c = Config.load(null, List.of("tokenizer.vocab_size=320", "tokenizer.min_frequency=2"));
    trained = TrainTokenizerJob.run(spark, c, input, tokenizerDir, false);
  }

  static void writeDocs(String dir, int files) {
    spark
        .createDataFrame(docs(), DOCS)
        .repartition(files)
        .write()
        .partitionBy("split")
        .parquet(dir + "/docs");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static Config tokenizeConfig(String... overrides) {
    List<String> o = new ArrayList<>(List.of("tokenize.seq_len=8"));
    o.addAll(Arrays.asList(overrides));
    return Config.load(null, o);
  }

  @Test
  void trainsOnTheTrainSplitOnly() throws Exception {
    assertThat(trained.type()).isEqualTo("bpe");
    assertThat(trained.trainDocuments()).isEqualTo(7);
    long bytes =
        docs().stream()
            .filter(r -> r.getString(2).equals("train"))
            .mapToLong(r -> r.getString(1).getBytes(StandardCharsets.UTF_8).length)
            .sum();
    assertThat(trained.trainBytes()).isEqualTo(bytes);
    assertThat(trained.merges()).isPositive();
    assertThat(trained.vocabSize()).isEqualTo(2 + 256 + trained.merges());
    assertThat(trained.evalDocuments()).isEqualTo(2);
    assertThat(trained.evalBytes()).isEqualTo(35 + 12);
    assertThat(trained.evalBytesPerToken())
        .isEqualTo((double) trained.evalBytes() / trained.evalTokens());
    JsonNode tok = Json.MAPPER.readTree(Path.of(tokenizerDir, "tokenizer.json").toFile());
    List<String> merges = new ArrayList<>();
    tok.get("model").get("merges").forEach(m -> merges.add(m.asText()));
    assertThat(merges).contains("Ġ c", "a t").doesNotContain("z q", "q z");
    JsonNode stats = Json.MAPPER.readTree(Path.of(tokenizerDir, "stats.json").toFile());
    assertThat(stats.get("train_documents").asLong()).isEqualTo(7);
    assertThat(stats.get("tokenizer_sha256").asText())
        .isEqualTo(Hashing.sha256Hex(Files.readAllBytes(Path.of(tokenizerDir, "tokenizer.json"))));
    assertThat(Files.readString(Path.of(tokenizerDir, "config.yaml"))).contains("vocab_size: 320");
    assertThatThrownBy(
            () -> TrainTokenizerJob.run(spark, Config.defaults(), input, tokenizerDir, false))
        .hasMessageContaining("not empty");
  }

  @Test
  void otherTokenizerTypesTrainAndLoad() {
    for (String type : List.of("char", "word")) {
      Config c = Config.load(null, List.of("tokenizer.type=" + type, "tokenizer.vocab_size=40"));
      String out = tmp.resolve("tok-" + type).toString();
      TrainTokenizerJob.Result r = TrainTokenizerJob.run(spark, c, input, out, false);
      assertThat(r.type()).isEqualTo(type);
      assertThat(r.vocabSize()).isLessThanOrEqualTo(40);
      assertThat(r.evalTokens()).isPositive();
    }
  }

  /** Token ids of the docs of one split in the job's order for a single shard. */
  static List<Integer> expectedStream(String split, TokenEncoder enc, int eos) {
    Dataset<Row> ordered =
        spark
            .createDataFrame(docs(), DOCS)
            .filter(col("split").equalTo(split))
            .withColumn("k", xxhash64(lit(42L), col("id")))
            .orderBy("k", "id");
    List<Integer> stream = new ArrayList<>();
    for (Row r : ordered.collectAsList()) {
      int[] ids = enc.encode(r.getString(1));
      if (ids.length > 0) {
        Arrays.stream(ids).forEach(stream::add);
        stream.add(eos);
      }
    }
    return stream;
  }

  static List<List<Integer>> readRows(String dir, String column) {
    List<List<Integer>> out = new ArrayList<>();
    // Files sorted by part number and rows in file order = the job's order.
    List<String> files;
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      files = s.map(Path::toString).filter(p -> p.endsWith(".parquet")).sorted().toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (String f : files) {
      for (Row r : spark.read().parquet(f).select(column).collectAsList()) {
        out.add(r.getList(0));
      }
    }
    return out;
  }

  @Test
  void packsDocumentsInADeterministicOrderAndReconciles() throws Exception {
    String out = tmp.resolve("packed").toString();
    TokenizeJob.Result r =
        TokenizeJob.run(
            spark, tokenizeConfig("tokenize.num_shards=1"), input, tokenizerDir, out, false);
    assertThat(r.rowLength()).isEqualTo(9);
    assertThat(r.eosId()).isZero();
    assertThat(r.missingSplits()).isEmpty();
    try (TokenEncoder enc = TokenEncoder.load(tokenizerDir)) {
      for (String split : List.of("train", "validation", "test")) {
        TokenizeJob.SplitResult sr = r.splits().get(split);
        List<Integer> stream = expectedStream(split, enc, 0);
        List<List<Integer>> rows = readRows(out + "/tokens/split=" + split, "input_ids");
        int full = stream.size() / 9;
        assertThat(rows).hasSize(full);
        for (int i = 0; i < full; i++) {
          assertThat(rows.get(i))
              .as("%s row %d", split, i)
              .isEqualTo(stream.subList(9 * i, 9 * i + 9));
        }
        assertThat(sr.sequences()).isEqualTo(full);
        assertThat(sr.inputTokens()).isEqualTo(stream.size());
        assertThat(sr.tailTokens()).isEqualTo(stream.size() - 9L * full);
        assertThat(sr.inputTokens()).isEqualTo(sr.tokensWritten() + sr.tailTokens());
        assertThat(sr.files()).isNotEmpty();
      }
    }
    TokenizeJob.SplitResult train = r.splits().get("train");
    assertThat(train.documents()).isEqualTo(7);
    assertThat(train.emptyDocuments()).isEqualTo(1);
    // "a" alone: fewer tokens than one row → no row, all tail.
    TokenizeJob.SplitResult test = r.splits().get("test");
    assertThat(test.sequences()).isZero();
    assertThat(test.tailTokens()).isEqualTo(2);

    JsonNode manifest = Json.MAPPER.readTree(Path.of(out, "manifest.json").toFile());
    assertThat(manifest.get("mode").asText()).isEqualTo("packed");
    assertThat(manifest.get("seq_len").asInt()).isEqualTo(8);
    assertThat(manifest.get("row_length").asInt()).isEqualTo(9);
    assertThat(manifest.get("tokenizer_sha256").asText()).isEqualTo(trained.tokenizerSha256());
    assertThat(manifest.at("/splits/train/sequences").asLong()).isEqualTo(train.sequences());
    assertThat(manifest.at("/splits/train/tail_tokens").asLong()).isEqualTo(train.tailTokens());
    assertThat(manifest.at("/splits/train/files/0").asText())
        .startsWith("tokens/split=train/part-");
    assertThat(Path.of(out, manifest.at("/splits/train/files/0").asText())).exists();
    assertThat(Path.of(out, "tokenizer.json"))
        .hasSameBinaryContentAs(Path.of(tokenizerDir, "tokenizer.json"));
    assertThat(Path.of(out, "config.yaml")).exists();
  }

  static Map<String, String> shardHashes(String out) throws Exception {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(Path.of(out, "tokens"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        String name = p.getFileName().toString();
        // part-00001-<write uuid>-c000.snappy.parquet → split + part number
        String key = p.getParent().getFileName() + "/" + name.substring(0, 10);
        m.put(key, Hashing.sha256Hex(Files.readAllBytes(p)));
      }
    }
    return m;
  }

  @Test
  void rerunsAndOtherInputLayoutsGiveByteIdenticalShards() throws Exception {
    String otherInput = tmp.resolve("pre-3files").toString();
    writeDocs(otherInput, 3);
    Config c = tokenizeConfig("tokenize.num_shards=3", "tokenize.splits=[train, test]");
    String a = tmp.resolve("det-a").toString();
    String b = tmp.resolve("det-b").toString();
    TokenizeJob.Result ra = TokenizeJob.run(spark, c, input, tokenizerDir, a, false);
    TokenizeJob.Result rb = TokenizeJob.run(spark, c, otherInput, tokenizerDir, b, false);
    Map<String, String> ha = shardHashes(a);
    assertThat(ha).isEqualTo(shardHashes(b));
    assertThat(ha.keySet()).contains("split=train/part-00000");
    assertThat(ra.splits().get("train").sequences())
        .isEqualTo(rb.splits().get("train").sequences());
    // Rerun into the same directory only with overwrite.
    assertThatThrownBy(() -> TokenizeJob.run(spark, c, input, tokenizerDir, a, false))
        .hasMessageContaining("not empty");
    TokenizeJob.run(spark, c, input, tokenizerDir, a, true);
    assertThat(shardHashes(a)).isEqualTo(ha);
  }

  @Test
  void paddedModeFromJsonl() throws Exception {
    Path jsonl = tmp.resolve("sft.jsonl");
    Files.writeString(
        jsonl,
        String.join(
            "\n",
            "{\"id\": \"1\", \"prompt\": \"Say hi.\", \"response\": \"hi\"}",
            "{\"id\": \"2\", \"prompt\": \"" + "cat ".repeat(20) + "\", \"response\": \"mat\"}",
            "{\"id\": \"3\", \"prompt\": \"Q\", \"response\": \"" + "the cat ".repeat(10) + "\"}",
            ""));
    String out = tmp.resolve("padded").toString();
    TokenizeJob.Result r =
        TokenizeJob.run(
            spark,
            tokenizeConfig("tokenize.mode=padded", "tokenize.num_shards=1", "tokenize.seq_len=16"),
            jsonl.toString(),
            tokenizerDir,
            out,
            false);
    assertThat(r.padId()).isEqualTo(1);
    assertThat(r.missingSplits()).containsExactly("validation", "test");
    TokenizeJob.SplitResult sr = r.splits().get("train");
    assertThat(sr.documents()).isEqualTo(3);
    // #2: 21 prompt tokens > 17 → nothing of the response survives a right cut → dropped.
    assertThat(sr.droppedExamples()).isEqualTo(1);
    assertThat(sr.truncatedExamples()).isEqualTo(2);
    assertThat(sr.sequences()).isEqualTo(2);
    assertThat(sr.inputTokens())
        .isEqualTo(sr.tokensWritten() + sr.truncatedTokens() + sr.droppedTokens());
    List<List<Integer>> ids = readRows(out + "/tokens/split=train", "input_ids");
    List<List<Integer>> masks = readRows(out + "/tokens/split=train", "loss_mask");
    try (TokenEncoder enc = TokenEncoder.load(tokenizerDir)) {
      for (int i = 0; i < ids.size(); i++) {
        assertThat(ids.get(i)).hasSize(17);
        assertThat(masks.get(i)).hasSize(17);
        int[] row = ids.get(i).stream().mapToInt(Integer::intValue).toArray();
        String text = enc.decode(row);
        if (text.startsWith("Say hi.")) {
          int p = enc.encode("Say hi.").length;
          int h = enc.encode("hi").length;
          assertThat(text).isEqualTo("Say hi.hi<|endoftext|>" + "<|pad|>".repeat(17 - p - h - 1));
          for (int j = 0; j < 17; j++) {
            assertThat(masks.get(i).get(j)).isEqualTo(j >= p && j < p + h + 1 ? 1 : 0);
          }
        } else {
          assertThat(text).startsWith("Qthe cat");
          assertThat(masks.get(i).get(0)).isZero();
          assertThat(masks.get(i).subList(1, 17)).containsOnly(1);
        }
      }
    }
    JsonNode manifest = Json.MAPPER.readTree(Path.of(out, "manifest.json").toFile());
    assertThat(manifest.get("pad_id").asInt()).isEqualTo(1);
    assertThat(manifest.at("/splits/train/dropped_examples").asLong()).isEqualTo(1);
  }

  @Test
  void unknownEosTokenIsAClearError() {
    assertThatThrownBy(
            () ->
                TokenizeJob.run(
                    spark,
                    tokenizeConfig("tokenize.eos_token=</s>"),
                    input,
                    tokenizerDir,
                    tmp.resolve("bad").toString(),
                    false))
        .hasMessageContaining("tokenize.eos_token")
        .hasMessageContaining("</s>");
  }
}
