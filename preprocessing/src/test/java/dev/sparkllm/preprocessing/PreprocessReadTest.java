package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers and bad input: every malformed piece becomes a rejected row with a reason, or a one-line
 * error naming the file; counts reconcile. Per-document steps are switched off here so that only
 * reading is under test.
 */
class PreprocessReadTest extends SparkTestBase {
  @TempDir Path tmp;

  private Config cfg(String... overrides) {
    List<String> o = new java.util.ArrayList<>(List.of("preprocess.steps=[]"));
    o.addAll(List.of(overrides));
    return Config.load(null, o);
  }

  private static byte[] gzip(String s) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (OutputStream o = new GZIPOutputStream(b)) {
      o.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return b.toByteArray();
  }

  private Map<String, String> rejectedReasons(String out) {
    Map<String, String> m = new HashMap<>();
    for (Row r : spark.read().parquet(out + "/rejected").collectAsList()) {
      m.put(r.getString(r.fieldIndex("id")), r.getString(r.fieldIndex("reason")));
    }
    return m;
  }

  @Test
  void badJsonlLinesBecomeRejectedRowsWithReasons() throws Exception {
    Path in = tmp.resolve("in");
    Files.createDirectories(in);
    byte[] badUtf8 = {
      '{',
      '"',
      'i',
      'd',
      '"',
      ':',
      '"',
      'u',
      '"',
      ',',
      '"',
      't',
      'e',
      'x',
      't',
      '"',
      ':',
      '"',
      (byte) 0xC3,
      (byte) 0x28,
      '"',
      '}',
      '\n'
    };
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    lines.write(
        ("{\"id\":\"ok1\",\"text\":\"A fine document.\"}\n"
                + "{\"id\":\"broken\",\"text\":\"unterminated\n"
                + "{\"id\":\"notext\",\"body\":\"x\"}\n"
                + "{\"id\":\"num\",\"text\":42}\n"
                + "\n"
                + "[1,2]\n")
            .getBytes(StandardCharsets.UTF_8));
    lines.write(badUtf8);
    lines.write("{\"id\":\"ok2\",\"text\":\"Another fine one.\"}".getBytes(StandardCharsets.UTF_8));
    Files.write(in.resolve("a.jsonl"), lines.toByteArray());
    String out = tmp.resolve("out").toString();

    PreprocessJob.Result r = PreprocessJob.run(spark, cfg(), List.of(in.toString()), out, false);

    assertThat(r.input()).isEqualTo(7);
    assertThat(r.kept()).isEqualTo(2);
    assertThat(r.rejected()).isEqualTo(5);
    Map<String, String> reasons = rejectedReasons(out);
    assertThat(reasons)
        .containsEntry("notext", "missing_text_field")
        .containsEntry("num", "wrong_type_text_field")
        .doesNotContainKey("ok1");
    assertThat(reasons.values()).filteredOn("malformed_json"::equals).hasSize(2);
    // An undecodable line has no readable id: it is rejected under a derived one.
    assertThat(reasons.values()).filteredOn("invalid_utf8"::equals).hasSize(1);
    assertThat(Files.readString(tmp.resolve("out/stats.json"))).contains("\"reconciled\" : true");
    assertThat(Files.readString(tmp.resolve("out/config.yaml"))).contains("preprocess:");
  }

  @Test
  void compressedTextModesEmptyAndTruncatedFiles() throws Exception {
    Path in = tmp.resolve("in");
    Files.createDirectories(in.resolve("sub"));
    Files.write(in.resolve("p.txt.gz"), gzip("Para one\nstill one.\n\n\nPara two.\n"));
    ByteArrayOutputStream bz = new ByteArrayOutputStream();
    try (OutputStream o = new BZip2CompressorOutputStream(bz)) {
      o.write("Para three.\n\nPara four.".getBytes(StandardCharsets.UTF_8));
    }
    Files.write(in.resolve("sub/q.txt.bz2"), bz.toByteArray());
    ByteArrayOutputStream zs = new ByteArrayOutputStream();
    try (OutputStream o = new ZstdOutputStream(zs)) {
      o.write("Para five.\n".getBytes(StandardCharsets.UTF_8));
    }
    Files.write(in.resolve("sub/r.txt.zst"), zs.toByteArray());
    Files.write(in.resolve("empty.txt"), new byte[0]);
    byte[] full = gzip("Line one here.\n\nLine two here.\n\n" + "x".repeat(100_000) + "\n");
    Files.write(in.resolve("cut.txt.gz"), java.util.Arrays.copyOf(full, full.length / 2));
    Files.writeString(in.resolve(".hidden.txt"), "never read");
    String out = tmp.resolve("out").toString();

    PreprocessJob.Result r =
        PreprocessJob.run(
            spark,
            cfg("preprocess.reader.text_mode=paragraph"),
            List.of(in.toString()),
            out,
            false);

    List<String> texts =
        spark
            .read()
            .parquet(out + "/docs")
            .select("text")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(texts)
        .contains("Para one\nstill one.", "Para two.", "Para three.", "Para four.", "Para five.")
        .contains("Line one here.", "Line two here.");
    Map<String, String> reasons = rejectedReasons(out);
    assertThat(reasons.values()).contains("empty_file", "corrupt_input");
    assertThat(r.input()).isEqualTo(r.kept() + r.rejected());
    assertThat(texts).noneMatch(t -> t.contains("never read"));
  }

  @Test
  void idsAreStableAcrossRunsAndLocations() throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("elsewhere/b");
    Files.createDirectories(a);
    Files.createDirectories(b);
    Files.writeString(a.resolve("x.txt"), "one doc\nanother doc\n");
    Files.writeString(b.resolve("x.txt"), "one doc\nanother doc\n");
    Config c = cfg("preprocess.reader.text_mode=line");
    PreprocessJob.run(spark, c, List.of(a.toString()), tmp.resolve("o1").toString(), false);
    PreprocessJob.run(spark, c, List.of(b.toString()), tmp.resolve("o2").toString(), false);
    List<String> ids1 = ids(tmp.resolve("o1").toString());
    List<String> ids2 = ids(tmp.resolve("o2").toString());
    assertThat(ids1).hasSize(2).isEqualTo(ids2);
  }

  private List<String> ids(String out) {
    return spark
        .read()
        .parquet(out + "/docs")
        .select("id")
        .orderBy("id")
        .as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
  }

  @Test
  void hugeSingleLineDocumentIsReadWhenTheCapsAllowIt() throws Exception {
    Path in = tmp.resolve("big.txt");
    String line = "word ".repeat(10_000_000); // 50 MB on one line
    Files.writeString(in, line + "\n");
    PreprocessJob.Result r =
        PreprocessJob.run(
            spark,
            cfg(
                "preprocess.reader.text_mode=line",
                "preprocess.reader.max_doc_chars=60000000",
                "preprocess.reader.max_line_bytes=67108864"),
            List.of(in.toString()),
            tmp.resolve("out").toString(),
            false);
    assertThat(r.kept()).isEqualTo(1);
    Row doc = spark.read().parquet(tmp.resolve("out/docs").toString()).select("n_chars").first();
    assertThat(doc.getInt(0)).isEqualTo(line.length());
  }

  @Test
  void gzipBombAndOverlongJsonlLineAreRejectedAsTooLong() throws Exception {
    Path in = tmp.resolve("in");
    Files.createDirectories(in);
    // 256 MiB of one letter from ~256 KB of gzip (concatenated members, as gzip allows).
    byte[] block = "a".repeat(16 << 20).getBytes(StandardCharsets.UTF_8);
    byte[] member = gzip(new String(block, StandardCharsets.UTF_8));
    try (OutputStream o = Files.newOutputStream(in.resolve("bomb.txt.gz"))) {
      for (int i = 0; i < 16; i++) {
        o.write(member);
      }
    }
    // One record just over the default per-line cap (8 MiB), between two ordinary ones.
    String big = "{\"id\":\"big\",\"text\":\"" + "word ".repeat((8 << 20) / 5) + "\"}";
    Files.writeString(
        in.resolve("docs.jsonl"),
        "{\"id\":\"before\",\"text\":\"Kept.\"}\n"
            + big
            + "\n{\"id\":\"after\",\"text\":\"Kept too.\"}\n");
    String out = tmp.resolve("out").toString();

    PreprocessJob.Result r = PreprocessJob.run(spark, cfg(), List.of(in.toString()), out, false);

    assertThat(r.input()).isEqualTo(4);
    assertThat(r.kept()).isEqualTo(2);
    assertThat(r.input()).isEqualTo(r.kept() + r.rejected());
    Map<String, String> reasons = rejectedReasons(out);
    assertThat(reasons.values()).containsExactly("too_long", "too_long");
    List<String> details =
        spark
            .read()
            .parquet(out + "/rejected")
            .select("detail")
            .orderBy("detail")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(details.get(0)).contains("line 2", "preprocess.reader.max_line_bytes");
    assertThat(details.get(1)).contains("preprocess.reader.max_doc_chars");
  }

  @Test
  void parquetInputWithColumnChecks() throws Exception {
    String pq = tmp.resolve("pq").toString();
    spark
        .createDataFrame(
            List.of(
                org.apache.spark.sql.RowFactory.create("d1", "Parquet text one."),
                org.apache.spark.sql.RowFactory.create("d2", null)),
            new org.apache.spark.sql.types.StructType()
                .add("doc_id", "string")
                .add("content", "string"))
        .coalesce(1)
        .write()
        .parquet(pq);
    PreprocessJob.Result r =
        PreprocessJob.run(
            spark,
            cfg(
                "preprocess.reader.parquet_text_column=content",
                "preprocess.reader.parquet_id_column=doc_id"),
            List.of(pq),
            tmp.resolve("out").toString(),
            false);
    assertThat(r.kept()).isEqualTo(1);
    assertThat(rejectedReasons(tmp.resolve("out").toString()))
        .containsEntry("d2", "missing_text_field");
    // Wrong column name: every file is rejected with a reason naming the config key.
    PreprocessJob.Result bad =
        PreprocessJob.run(spark, cfg(), List.of(pq), tmp.resolve("out2").toString(), false);
    assertThat(bad.kept()).isZero();
    assertThat(rejectedReasons(tmp.resolve("out2").toString()).values()).containsOnly("bad_schema");
    assertThat(spark.read().parquet(tmp.resolve("out2/rejected").toString()).first().getString(4))
        .contains("preprocess.reader.parquet_text_column");
  }

  @Test
  void missingInputUnwritableAndNonEmptyOutputAreClearErrors() throws Exception {
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "some text");
    assertThatThrownBy(
            () ->
                PreprocessJob.run(
                    spark,
                    cfg(),
                    List.of(tmp.resolve("nope").toString()),
                    tmp.resolve("o").toString(),
                    false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("input path not found")
        .hasMessageContaining("nope");
    // An output under a regular file cannot be created, even by root (CI runs as root, which
    // ignores directory permissions).
    String underFile = in.resolve("o").toString();
    assertThatThrownBy(
            () -> PreprocessJob.run(spark, cfg(), List.of(in.toString()), underFile, false))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(underFile);
    String out = tmp.resolve("o").toString();
    PreprocessJob.run(spark, cfg(), List.of(in.toString()), out, false);
    assertThatThrownBy(() -> PreprocessJob.run(spark, cfg(), List.of(in.toString()), out, false))
        .hasMessageContaining("not empty")
        .hasMessageContaining("--overwrite");
    assertThat(PreprocessJob.run(spark, cfg(), List.of(in.toString()), out, true).kept())
        .isEqualTo(1);
    Path weird = tmp.resolve("data.csv");
    Files.writeString(weird, "a,b");
    assertThatThrownBy(
            () ->
                PreprocessJob.run(
                    spark, cfg(), List.of(weird.toString()), tmp.resolve("o3").toString(), false))
        .hasMessageContaining("cannot tell the format of")
        .hasMessageContaining("preprocess.reader.format");
  }
}
