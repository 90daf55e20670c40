package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkllm.core.Config;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job with the default steps on real prose (a slice of the bundled Brown corpus) plus
 * hand-made documents that each exercise one stage: markup + PII, an exact duplicate, a near
 * duplicate, a German text, a too-short text.
 */
class PreprocessJobTest extends SparkTestBase {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  static List<JsonNode> brown(int n) throws Exception {
    Path corpus = Path.of("..", "data", "brown", "brown.jsonl.gz");
    List<JsonNode> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null && out.size() < n) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static String line(String id, String text) throws Exception {
    return JSON.writeValueAsString(Map.of("id", id, "text", text)) + "\n";
  }

  @Test
  void defaultStepsEndToEnd() throws Exception {
    List<JsonNode> all = brown(46);
    List<JsonNode> docs = all.subList(0, 40);
    Path in = tmp.resolve("in.jsonl");
    String d0 = docs.get(0).get("text").asText();
    String d1 = docs.get(1).get("text").asText();
    // Not among the 40 corpus documents, so it is no near-duplicate of any of them.
    String para = all.get(45).get("text").asText();
    try (Writer w = Files.newBufferedWriter(in)) {
      for (JsonNode d : docs) {
        w.write(line(d.get("id").asText(), d.get("text").asText()));
      }
      w.write(line("exact-dup", "  " + d0.replace(" ", "   ") + " "));
      String[] words = d1.split(" ");
      for (int i = 50; i < words.length; i += 200) {
        words[i] = "changed";
      }
      w.write(line("near-dup", String.join(" ", words)));
      w.write(
          line(
              "html-pii",
              "<html><body><p>"
                  + para.replace("\n\n", "</p><p>")
                  + "</p><p>Write to jane.doe@example.com or call +1 202-555-0173 &amp; ask.</p>"
                  + "</body></html>"));
      // Rejected long before the PII step: its rejected row must not keep the address or number.
      w.write(line("short", "Too short to keep. Mail bob.smith@example.org, +1 202-555-0199."));
      w.write(
          line(
              "german",
              ("Die Stadtverwaltung hat am Montag angekündigt, dass die Straßenbahnlinie im"
                      + " kommenden Jahr bis zum Hauptbahnhof verlängert wird. Die Bürger der"
                      + " angrenzenden Viertel hatten sich seit Jahren für eine bessere"
                      + " Anbindung eingesetzt, und der Gemeinderat stimmte dem Vorhaben mit"
                      + " großer Mehrheit zu. ")
                  .repeat(3)));
    }
    String out = tmp.resolve("out").toString();
    Config cfg =
        Config.load(
            null,
            List.of(
                "preprocess.split.train=0.8",
                "preprocess.split.validation=0.1",
                "preprocess.split.test=0.1"));

    PreprocessJob.Result r = PreprocessJob.run(spark, cfg, List.of(in.toString()), out, false);

    assertThat(r.input()).isEqualTo(45);
    assertThat(r.input()).isEqualTo(r.kept() + r.rejected());
    Map<String, String> reasons = new HashMap<>();
    Map<String, String> steps = new HashMap<>();
    for (Row row : spark.read().parquet(out + "/rejected").collectAsList()) {
      reasons.put(row.getAs("id"), row.getAs("reason"));
      steps.put(row.getAs("id"), row.getAs("step"));
    }
    assertThat(reasons).containsEntry("exact-dup", "exact_duplicate");
    // One of the pair survives (the longer text); the other is rejected as its near-duplicate.
    String d1Id = docs.get(1).get("id").asText();
    assertThat(reasons.get("near-dup") == null ? reasons.get(d1Id) : reasons.get("near-dup"))
        .isEqualTo("near_duplicate");
    assertThat(reasons.containsKey("near-dup") && reasons.containsKey(d1Id)).isFalse();
    assertThat(reasons.values()).filteredOn("near_duplicate"::equals).hasSize(1);
    assertThat(reasons).containsEntry("short", "gopher_short_doc");
    Row shortRow =
        spark.read().parquet(out + "/rejected").filter("id = 'short'").collectAsList().get(0);
    assertThat((String) shortRow.getAs("text_prefix"))
        .isEqualTo("Too short to keep. Mail <EMAIL>, <PHONE>.");
    assertThat(steps).containsKey("german");
    assertThat(steps.get("german")).isIn("gopher_quality", "language");
    Map<String, String> kept = new HashMap<>();
    Map<String, String> split = new HashMap<>();
    for (Row row : spark.read().parquet(out + "/docs").collectAsList()) {
      kept.put(row.getAs("id"), row.getAs("text"));
      split.put(row.getAs("id"), row.getAs("split"));
      assertThat((String) row.getAs("lang")).isEqualTo("en");
    }
    assertThat(kept).containsKeys("html-pii", docs.get(0).get("id").asText());
    assertThat(kept.get("html-pii"))
        .doesNotContain("<p>", "jane.doe@example.com", "555-0173", "&amp;")
        .contains("<EMAIL>", "<PHONE>", " & ");
    assertThat(split.values()).contains("train", "validation", "test");

    JsonNode stats = JSON.readTree(Files.readString(Path.of(out, "stats.json")));
    assertThat(stats.get("reconciled").asBoolean()).isTrue();
    assertThat(stats.get("pii_redactions").get("EMAIL").asLong()).isEqualTo(1);
    long prevOut = stats.get("input").get("documents").asLong();
    for (JsonNode s : stats.get("steps")) {
      assertThat(s.get("in").asLong()).isEqualTo(prevOut);
      assertThat(s.get("in").asLong())
          .isEqualTo(s.get("out").asLong() + s.get("rejected").asLong());
      prevOut = s.get("out").asLong();
    }
    assertThat(prevOut).isEqualTo(r.kept());
    JsonNode html = null;
    for (JsonNode s : stats.get("steps")) {
      if (s.get("name").asText().equals("html_clean")) {
        html = s;
      }
    }
    assertThat(html).isNotNull();
    assertThat(html.get("changed").asLong()).isGreaterThanOrEqualTo(1);
    long splitTotal = 0;
    for (JsonNode n : stats.get("split")) {
      splitTotal += n.asLong();
    }
    assertThat(splitTotal).isEqualTo(r.kept());
  }
}
