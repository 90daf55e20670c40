package dev.sparkllm.preprocessing.readers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers hold at most one capped piece of a file: a gzip bomb, a line without end, an endless
 * paragraph or a large Parquet file cost a bounded buffer, and what is over a cap becomes a
 * too_long document, never an exception or an exhausted heap.
 */
class BoundedReadTest {
  @TempDir Path tmp;

  private static final Configuration CONF = new Configuration();

  private static FileDocumentReader reader(String... overrides) {
    return new FileDocumentReader(
        Config.load(null, List.of(overrides)).section("preprocess.reader"));
  }

  private static InputFile input(Path p) {
    String name = p.getFileName().toString();
    return new InputFile(
        p.toUri().toString(), name, InputFile.formatOf(name), InputFile.compressionOf(name));
  }

  /** Bytes read from local files by Hadoop so far (compressed bytes, for a .gz input). */
  @SuppressWarnings("deprecation")
  private static long localBytesRead() {
    long n = 0;
    for (FileSystem.Statistics s : FileSystem.getAllStatistics()) {
      if ("file".equals(s.getScheme())) {
        n += s.getBytesRead();
      }
    }
    return n;
  }

  /**
   * A real gzip bomb: one 16 MiB member of a repeated byte, concatenated (gzip readers continue
   * across members) until it inflates to {@code inflated} bytes, about 1,000 times its size.
   */
  private static void gzipBomb(Path file, byte[] head, long inflated) throws Exception {
    byte[] block = new byte[16 << 20];
    Arrays.fill(block, (byte) 'a');
    ByteArrayOutputStream member = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(member)) {
      gz.write(block);
    }
    byte[] m = member.toByteArray();
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(first)) {
      gz.write(head);
    }
    try (OutputStream o = Files.newOutputStream(file)) {
      o.write(first.toByteArray());
      for (long done = 0; done < inflated; done += block.length) {
        o.write(m);
      }
    }
  }

  private static List<RawDoc> all(Iterator<RawDoc> it) {
    List<RawDoc> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void gzipBombDocumentStopsAtMaxDocChars() throws Exception {
    Path bomb = tmp.resolve("bomb.txt.gz");
    gzipBomb(bomb, "Dear reader, ".getBytes(StandardCharsets.UTF_8), 1L << 30);
    long size = Files.size(bomb);
    FileDocumentReader r = reader(); // default max_doc_chars (1,000,000)

    long bytesBefore = localBytesRead();
    long heapBefore = usedHeap();
    long t0 = System.nanoTime();
    Iterator<RawDoc> it = r.read(input(bomb), CONF);
    List<RawDoc> docs = all(it);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long compressed = localBytesRead() - bytesBefore;
    long inflated = ((TextDocuments) it).bytesRead();
    System.out.printf(
        "gzip bomb: %d bytes inflating to 1 GiB; read %d compressed / %d inflated bytes in %d ms,"
            + " heap +%d MB%n",
        size, compressed, inflated, ms, (usedHeap() - heapBefore) >> 20);

    assertThat(docs).hasSize(1);
    RawDoc d = docs.get(0);
    assertThat(d.error).isEqualTo("too_long");
    assertThat(d.detail).contains("preprocess.reader.max_doc_chars");
    assertThat(d.text).startsWith("Dear reader, aaaa").hasSize(FileDocumentReader.PREFIX_CHARS);
    // 1 MB of text plus the decoder's and the inflater's buffers, out of 1 GiB.
    assertThat(inflated).isLessThan(2_000_000);
    assertThat(compressed).isLessThan(size / 4);
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  @Test
  void jsonlLineJustOverTheLineCapIsTooLongAndTheNextLineIsRead() throws Exception {
    Path f = tmp.resolve("a.jsonl");
    String longLine = "{\"id\":\"big\",\"text\":\"" + "x".repeat(2000) + "\"}";
    String okLine = "{\"id\":\"ok\",\"text\":\"A fine document.\"}";
    Files.writeString(f, longLine + "\r\n" + okLine + "\n");
    int cap = longLine.length() - 1;

    List<RawDoc> docs = all(reader("preprocess.reader.max_line_bytes=" + cap).read(input(f), CONF));

    assertThat(docs).hasSize(2);
    assertThat(docs.get(0).error).isEqualTo("too_long");
    assertThat(docs.get(0).detail).contains("line 1", "preprocess.reader.max_line_bytes");
    assertThat(docs.get(0).text).startsWith("{\"id\":\"big\"");
    assertThat(docs.get(1).error).isNull();
    assertThat(docs.get(1).id).isEqualTo("ok");
    // A line of exactly the cap (its \r\n not counted) is read normally.
    List<RawDoc> exact =
        all(reader("preprocess.reader.max_line_bytes=" + longLine.length()).read(input(f), CONF));
    assertThat(exact.get(0).error).isNull();
    assertThat(exact.get(0).id).isEqualTo("big");
  }

  @Test
  void paragraphOverTheCapIsTooLongAndTheNextParagraphIsKept() throws Exception {
    Path f = tmp.resolve("p.txt");
    Files.writeString(f, "short line\n".repeat(500) + "\nThe next paragraph.\n");

    List<RawDoc> docs =
        all(
            reader("preprocess.reader.text_mode=paragraph", "preprocess.reader.max_doc_chars=1000")
                .read(input(f), CONF));

    assertThat(docs).extracting(d -> d.error).containsExactly("too_long", null);
    assertThat(docs.get(0).text).startsWith("short line\nshort line");
    assertThat(docs.get(1).text).isEqualTo("The next paragraph.");
  }

  @Test
  void parquetRowsAreStreamedNotCollected() throws Exception {
    Path f = tmp.resolve("many.parquet");
    MessageType schema =
        MessageTypeParser.parseMessageType("message doc { required binary text (UTF8); }");
    Random rnd = new Random(7);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(f.toUri()))
            .withType(schema)
            .withConf(CONF)
            .withRowGroupSize(64 * 1024)
            .withPageSize(16 * 1024)
            .build()) {
      SimpleGroupFactory groups = new SimpleGroupFactory(schema);
      for (int i = 0; i < 300; i++) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < 8000; c++) {
          sb.append((char) ('a' + rnd.nextInt(26)));
        }
        w.write(groups.newGroup().append("text", sb.toString()));
      }
    }
    long size = Files.size(f);

    Iterator<RawDoc> it = reader().read(input(f), CONF);
    assertThat(it.next().error).isNull();
    // Cut the file under the open reader: only row groups not yet read can notice. A reader that
    // collected the file at the first row hands out all 300 rows regardless.
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(size / 2);
    }
    List<RawDoc> rest = all(it);

    long good = rest.stream().filter(d -> d.error == null).count();
    System.out.printf(
        "parquet: %d bytes; rows readable after cutting it in half: %d%n", size, good);
    assertThat(good).isLessThan(200);
    assertThat(rest.get(rest.size() - 1).error).isEqualTo("corrupt_parquet");
  }
}
