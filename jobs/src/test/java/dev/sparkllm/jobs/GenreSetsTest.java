package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * genre-sets: excerpts of held-out documents only (validation → training sets, test → held-out
 * sets), never a pretraining (train split) document, labelled with the corpus' category.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GenreSetsTest {
  static String paragraph(String word) {
    return String.join(" ", java.util.Collections.nCopies(30, word));
  }

  static List<JsonNode> read(Path f) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(f)) {
      out.add(Json.MAPPER.readTree(l));
    }
    return out;
  }

  @Test
  void heldOutDocumentsBecomeLabelledExcerpts(@TempDir Path tmp) throws Exception {
    Path corpus = tmp.resolve("corpus.jsonl");
    Files.write(
        corpus,
        List.of(
            "{\"id\": \"a1\", \"category\": \"news\", \"text\": \"x\"}",
            "{\"id\": \"b1\", \"category\": \"humor\", \"text\": \"x\"}",
            "{\"id\": \"c1\", \"category\": \"lore\", \"text\": \"x\"}"));
    String pre = tmp.resolve("pre").toString();
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      StructType schema =
          new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType);
      String twoParas = paragraph("val") + "\n\n" + paragraph("more") + "\n\nshort one";
      for (String[] d :
          new String[][] {
            {"train", "a1", paragraph("pretrained")},
            {"validation", "b1", twoParas},
            {"test", "c1", paragraph("held")}
          }) {
        List<Row> rows = List.of(RowFactory.create(d[1], d[2]));
        spark.createDataFrame(rows, schema).write().parquet(pre + "/docs/split=" + d[0]);
      }
    } finally {
      spark.stop();
    }
    Path out = tmp.resolve("sets");
    CliCapture c =
        CliCapture.run(
            "genre-sets",
            "--corpus",
            corpus.toString(),
            "--preprocessed",
            pre,
            "--output",
            out.toString(),
            "--master",
            "local[2]");
    assertThat(c.exitCode).as(c.err).isZero();

    List<JsonNode> train = read(out.resolve("sft-train.jsonl"));
    assertThat(train).hasSize(2); // two long paragraphs of b1; the short one is no excerpt
    assertThat(train).allSatisfy(n -> assertThat(n.get("response").asText()).isEqualTo(" humor"));
    assertThat(train.get(0).get("prompt").asText())
        .startsWith("Passage: val val")
        .endsWith("\nGenre:");
    List<JsonNode> heldout = read(out.resolve("sft-heldout.jsonl"));
    assertThat(heldout).hasSize(1);
    assertThat(heldout.get(0).get("response").asText()).isEqualTo(" lore");
    String all =
        Files.readString(out.resolve("sft-train.jsonl"))
            + Files.readString(out.resolve("sft-heldout.jsonl"));
    assertThat(all).doesNotContain("pretrained");

    List<JsonNode> pref = read(out.resolve("preference-train.jsonl"));
    assertThat(pref).hasSize(2);
    assertThat(pref)
        .allSatisfy(
            n -> {
              assertThat(n.get("chosen").asText()).isEqualTo(" humor");
              assertThat(n.get("rejected").asText()).isIn(" news", " lore");
            });
    JsonNode task = read(out.resolve("genre-heldout-task.jsonl")).get(0);
    assertThat(task.get("answer").asText()).isEqualTo("lore");
    assertThat(task.get("choices").toString()).isEqualTo("[\"humor\",\"lore\",\"news\"]");
  }
}
