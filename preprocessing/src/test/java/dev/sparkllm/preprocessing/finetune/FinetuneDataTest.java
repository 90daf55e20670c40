package dev.sparkllm.preprocessing.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.preprocessing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instruction and preference JSONL through {@link FinetuneData}: every bad line is counted under
 * its reason and the job finishes; good lines come out rendered, with a split.
 */
class FinetuneDataTest extends SparkTestBase {
  static final FinetuneSettings SETTINGS = new FinetuneSettings(0.0, 42, "<|endoftext|>");
  static final int SEQ = 64;

  static String tokenizer() throws Exception {
    return Files.readString(Path.of("src/test/resources/tokenizer-interop/tokenizer-char.json"));
  }

  static Map<String, Long> reasons(Path out) throws Exception {
    return spark.read().json(out.resolve("rejected").toString()).collectAsList().stream()
        .collect(Collectors.groupingBy(r -> r.getAs("reason"), Collectors.counting()));
  }

  @Test
  void badInstructionRowsAreCountedByReasonAndGoodOnesRendered(@TempDir Path tmp) throws Exception {
    Path in = tmp.resolve("in.jsonl");
    String longPrompt = "a".repeat(SEQ);
    Files.write(
        in,
        List.of(
            "{\"prompt\": \"hi\", \"response\": \"hello\"}",
            "{\"prompt\": \"x\", \"response\": \"y\", \"split\": \"validation\"}",
            "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"},"
                + " {\"role\": \"user\", \"content\": \"hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"yo\"}]}",
            "",
            "{not json",
            "[1, 2]",
            "{\"prompt\": \"hi\"}",
            "{\"prompt\": 3, \"response\": \"r\"}",
            "{\"prompt\": \"hi\", \"response\": \"  \"}",
            "{\"prompt\": \"" + longPrompt + "\", \"response\": \"r\"}",
            "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "{\"messages\": []}",
            "{\"messages\": \"hi\"}",
            "{\"prompt\": \"a\", \"response\": \"b\", \"split\": \"dev\"}"));
    Path out = tmp.resolve("out");
    FinetuneData.Stats st =
        FinetuneData.prepare(
            spark,
            FinetuneData.Kind.INSTRUCTION,
            List.of(in.toString()),
            tokenizer(),
            SEQ,
            SETTINGS,
            out.toString());

    assertThat(st.input()).isEqualTo(14); // the blank line is not a row
    assertThat(st.kept()).isEqualTo(3);
    assertThat(st.rejected())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "malformed_json", 1L,
                "not_an_object", 1L,
                "missing_field", 1L,
                "wrong_type", 2L,
                "empty_response", 1L,
                "prompt_too_long", 1L,
                "bad_role", 1L,
                "no_final_assistant", 1L,
                "empty_messages", 1L,
                "bad_split", 1L));
    assertThat(st.splits())
        .containsExactlyInAnyOrderEntriesOf(Map.of("train", 2L, "validation", 1L));
    assertThat(reasons(out)).isEqualTo(st.rejected());
    assertThat(st.chatRows()).isEqualTo(1);

    JsonNode stats = Json.MAPPER.readTree(out.resolve("stats.json").toFile());
    assertThat(stats.get("reconciled").asBoolean()).isTrue();
    assertThat(stats.at("/input/rows").asLong()).isEqualTo(14);
    assertThat(stats.at("/rejected/total").asLong()).isEqualTo(11);
    // No row text in what is reported about rejected rows (it may be private).
    assertThat(Files.walk(out.resolve("rejected")).filter(f -> f.toString().endsWith(".json")))
        .allSatisfy(f -> assertThat(Files.readString(f)).doesNotContain(longPrompt));

    List<Row> train =
        FinetuneData.examples(spark, out.toString(), "train")
            .select("prompt", "response")
            .collectAsList();
    assertThat(train)
        .extracting(r -> r.getString(0) + "|" + r.getString(1))
        .containsExactlyInAnyOrder(
            "hi|hello", "### System:\nbe brief\n\n### User:\nhi\n\n### Assistant:\n|yo");
  }

  @Test
  void preferenceRowsAreCheckedAndReadBackAsExamples(@TempDir Path tmp) throws Exception {
    Path in = tmp.resolve("pref.jsonl");
    Files.write(
        in,
        List.of(
            "{\"prompt\": \"p\", \"chosen\": \"good\", \"rejected\": \"bad\"}",
            "{\"prompt\": \"p\", \"chosen\": \"same\", \"rejected\": \"same\"}",
            "{\"prompt\": \"p\", \"chosen\": \"good\"}",
            "{\"prompt\": \"p\", \"chosen\": \"\", \"rejected\": \"bad\"}",
            "{\"prompt\": \"p\", \"chosen\": [\"good\"], \"rejected\": \"bad\"}",
            "oops"));
    Path out = tmp.resolve("out");
    FinetuneData.Stats st =
        FinetuneData.prepare(
            spark,
            FinetuneData.Kind.PREFERENCE,
            List.of(in.toString()),
            tokenizer(),
            SEQ,
            SETTINGS,
            out.toString());
    assertThat(st.input()).isEqualTo(6);
    assertThat(st.rejected())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "identical_responses", 1L,
                "missing_field", 1L,
                "empty_response", 1L,
                "wrong_type", 1L,
                "malformed_json", 1L));
    assertThat(FinetuneData.preferences(spark, out.toString(), "train"))
        .containsExactly(new PreferenceExample("p", "good", "bad"));
  }

  @Test
  void rowsWithoutASplitAreHeldOutByASeededHash(@TempDir Path tmp) throws Exception {
    Path in = tmp.resolve("in.jsonl");
    List<String> lines =
        java.util.stream.IntStream.range(0, 400)
            .mapToObj(i -> "{\"prompt\": \"q" + i + "\", \"response\": \"a\"}")
            .toList();
    Files.write(in, lines);
    FinetuneSettings s = new FinetuneSettings(0.25, 7, "<|endoftext|>");
    FinetuneData.Stats a =
        FinetuneData.prepare(
            spark,
            FinetuneData.Kind.INSTRUCTION,
            List.of(in.toString()),
            tokenizer(),
            SEQ,
            s,
            tmp.resolve("a").toString());
    assertThat(a.splits().get("validation")).isBetween(70L, 130L);
    FinetuneData.Stats b =
        FinetuneData.prepare(
            spark,
            FinetuneData.Kind.INSTRUCTION,
            List.of(in.toString()),
            tokenizer(),
            SEQ,
            s,
            tmp.resolve("b").toString());
    assertThat(b.splits()).isEqualTo(a.splits());
  }
}
