package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What preprocess --overwrite may and may not destroy. */
class PreprocessOutputSafetyTest extends SparkTestBase {
  @TempDir Path tmp;

  private static Path corpus(Path file, boolean duplicateIds) throws Exception {
    Files.createDirectories(file.getParent());
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (JsonNode d : PreprocessJobTest.brown(4)) {
      String id = duplicateIds ? "same" : "d" + i++;
      sb.append(
              PreprocessJobTest.JSON.writeValueAsString(
                  java.util.Map.of("id", id, "text", d.get("text").asText())))
          .append('\n');
    }
    return Files.writeString(file, sb.toString());
  }

  @Test
  void anOutputThatContainsItsInputIsRefusedAndTheInputSurvives() throws Exception {
    Path raw = corpus(tmp.resolve("out/raw/a.jsonl"), false);
    String out = tmp.resolve("out").toString();
    assertThatThrownBy(
            () ->
                PreprocessJob.run(
                    spark,
                    Config.load(null, List.of()),
                    List.of(raw.getParent().toString()),
                    out,
                    true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("contains the input");
    assertThat(raw).exists();
  }

  @Test
  void aFailedRerunWithOverwriteLeavesTheOldOutput() throws Exception {
    Path good = corpus(tmp.resolve("good.jsonl"), false);
    Path bad = corpus(tmp.resolve("bad.jsonl"), true);
    String out = tmp.resolve("pre").toString();
    Config cfg = Config.load(null, List.of());
    PreprocessJob.Result first =
        PreprocessJob.run(spark, cfg, List.of(good.toString()), out, false);
    String stats = Files.readString(Path.of(out, "stats.json"));

    assertThatThrownBy(() -> PreprocessJob.run(spark, cfg, List.of(bad.toString()), out, true))
        .hasMessageContaining("duplicate document ids");
    assertThat(Path.of(out, "stats.json")).hasContent(stats);
    assertThat(spark.read().parquet(out + "/docs").count()).isEqualTo(first.kept());
    try (var names = Files.list(tmp)) {
      assertThat(names.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("good.jsonl", "bad.jsonl", "pre");
    }
  }

  @Test
  void overwriteDoesNotDeleteADirectorySparkLlmDidNotWrite() throws Exception {
    Path good = corpus(tmp.resolve("good.jsonl"), false);
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("thesis.tex"), "years of work");
    assertThatThrownBy(
            () ->
                PreprocessJob.run(
                    spark,
                    Config.load(null, List.of()),
                    List.of(good.toString()),
                    home.toString(),
                    true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("not written by spark-llm");
    assertThat(home.resolve("thesis.tex")).hasContent("years of work");
  }

  @Test
  void aSecondJobOnALockedOutputIsRefused() throws Exception {
    Path good = corpus(tmp.resolve("good.jsonl"), false);
    Path lock = tmp.resolve(".pre.lock");
    // What a running preprocess on this host leaves next to its output.
    Files.writeString(
        lock,
        "{\"job\":\"preprocess\",\"pid\":"
            + ProcessHandle.current().pid()
            + ",\"host\":\""
            + InetAddress.getLocalHost().getHostName()
            + "\",\"since\":\"now\",\"token\":\"other\"}");
    String out = tmp.resolve("pre").toString();
    assertThatThrownBy(
            () ->
                PreprocessJob.run(
                    spark, Config.load(null, List.of()), List.of(good.toString()), out, true))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("in use by preprocess")
        .hasMessageContaining(lock.toString());
    assertThat(Path.of(out)).doesNotExist();
    assertThat(lock).exists();
  }
}
