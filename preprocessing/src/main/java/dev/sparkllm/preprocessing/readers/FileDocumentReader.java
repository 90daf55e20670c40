package dev.sparkllm.preprocessing.readers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Streams the documents of one input file: plain text (whole file, per line or per paragraph),
 * JSONL or Parquet, under gzip/bzip2/zstd by extension. Every problem becomes a {@link RawDoc} with
 * a reason instead of an exception, so one bad line or file never fails the job and is never
 * silently dropped.
 */
public final class FileDocumentReader implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String textMode;
  private final String jsonTextField;
  private final String jsonIdField;
  private final String parquetTextColumn;
  private final String parquetIdColumn;
  private final long maxDocChars;

  public FileDocumentReader(Config reader) {
    this.textMode = reader.getString("text_mode");
    if (!Arrays.asList("document", "line", "paragraph").contains(textMode)) {
      throw new dev.sparkllm.core.SparkLlmException(
          "config key 'preprocess.reader.text_mode' must be document, line or paragraph, got '"
              + textMode
              + "'");
    }
    this.jsonTextField = reader.getString("jsonl_text_field");
    this.jsonIdField = reader.getString("jsonl_id_field");
    this.parquetTextColumn = reader.getString("parquet_text_column");
    this.parquetIdColumn = reader.getString("parquet_id_column");
    this.maxDocChars = reader.getLong("max_doc_chars");
  }

  /** Stable id from the file's path relative to its input root and the document's position. */
  public static String derivedId(String relative, long ordinal) {
    return Hashing.sha256Hex(relative + "#" + ordinal).substring(0, 20);
  }

  public Iterator<RawDoc> read(InputFile file, Configuration conf) {
    if (file.format == InputFile.Format.PARQUET) {
      return readParquet(file, conf);
    }
    return new StreamIterator(file, conf);
  }

  // ---- Parquet --------------------------------------------------------------------------------

  private Iterator<RawDoc> readParquet(InputFile file, Configuration conf) {
    Deque<RawDoc> out = new ArrayDeque<>();
    Path path = new Path(file.path);
    long row = 0;
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), path).withConf(conf).build()) {
      Group g;
      boolean checked = false;
      while ((g = reader.read()) != null) {
        if (!checked) {
          String problem = checkParquetSchema(g.getType());
          if (problem != null) {
            out.add(RawDoc.bad(derivedId(file.relative, -1), file.path, "bad_schema", problem));
            return out.iterator();
          }
          checked = true;
        }
        String id = null;
        if (parquetIdColumn != null && g.getFieldRepetitionCount(parquetIdColumn) > 0) {
          id = g.getValueToString(g.getType().getFieldIndex(parquetIdColumn), 0);
        }
        if (id == null) {
          id = derivedId(file.relative, row);
        }
        if (g.getFieldRepetitionCount(parquetTextColumn) == 0) {
          out.add(RawDoc.bad(id, file.path, "missing_text_field", "null " + parquetTextColumn));
        } else {
          out.add(checkLength(id, file.path, g.getString(parquetTextColumn, 0)));
        }
        row++;
      }
    } catch (IOException | RuntimeException e) {
      out.add(
          RawDoc.bad(
              derivedId(file.relative, -1),
              file.path,
              "corrupt_parquet",
              "after " + row + " rows: " + e));
    }
    if (row == 0 && out.isEmpty()) {
      out.add(RawDoc.bad(derivedId(file.relative, -1), file.path, "empty_file", "no rows"));
    }
    return out.iterator();
  }

  private String checkParquetSchema(GroupType schema) {
    if (!schema.containsField(parquetTextColumn)) {
      return "no column '" + parquetTextColumn + "' (set preprocess.reader.parquet_text_column)";
    }
    Type t = schema.getType(parquetTextColumn);
    if (!t.isPrimitive()
        || t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY) {
      return "column '" + parquetTextColumn + "' is " + t + ", not a string";
    }
    if (parquetIdColumn != null && !schema.containsField(parquetIdColumn)) {
      return "no column '" + parquetIdColumn + "' (set preprocess.reader.parquet_id_column)";
    }
    return null;
  }

  private RawDoc checkLength(String id, String source, String text) {
    if (text.length() > maxDocChars) {
      return RawDoc.bad(id, source, "too_long", text.substring(0, 200));
    }
    return RawDoc.ok(id, source, text);
  }

  // ---- text and JSONL -------------------------------------------------------------------------

  /** Pulls documents from a (decompressed) byte stream one at a time. */
  private final class StreamIterator implements Iterator<RawDoc> {
    private final InputFile file;
    private final Configuration conf;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private InputStream in;
    private final Deque<RawDoc> ready = new ArrayDeque<>();
    private boolean done;
    private long ordinal;
    private long docs;
    private long lineNo;
    private boolean firstLine = true;
    private final ByteArrayOutputStream paragraph = new ByteArrayOutputStream();

    StreamIterator(InputFile file, Configuration conf) {
      this.file = file;
      this.conf = conf;
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && !done) {
        step();
      }
      return !ready.isEmpty();
    }

    @Override
    public RawDoc next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      docs++;
      return ready.poll();
    }

    private void step() {
      try {
        if (in == null) {
          in = open(file, conf);
        }
        if (file.format == InputFile.Format.TEXT && textMode.equals("document")) {
          byte[] all = in.readAllBytes();
          byte[] text = stripBom(all, all.length);
          emitText(text, text.length, 0);
          finish();
          return;
        }
        byte[] line = readLine();
        if (line == null) {
          if (paragraph.size() > 0) {
            flushParagraph();
          }
          finish();
          return;
        }
        int len = lineLength;
        lineNo++;
        if (firstLine) {
          line = stripBom(line, len);
          len = line == lineBuf ? len : line.length;
          firstLine = false;
        }
        boolean blank = isBlank(line, len);
        if (file.format == InputFile.Format.JSONL) {
          if (!blank) {
            emitJson(line, len, lineNo);
          }
        } else if (textMode.equals("line")) {
          if (!blank) {
            emitText(line, len, lineNo);
          }
        } else if (blank) {
          if (paragraph.size() > 0) {
            flushParagraph();
          }
        } else {
          paragraph.write(line, 0, len);
          paragraph.write('\n');
        }
      } catch (IOException | UncheckedIOException e) {
        // Truncated or corrupt compressed input: keep what was read, report the rest.
        String what =
            e instanceof EOFException ? "truncated input" : String.valueOf(e.getMessage());
        ready.add(
            RawDoc.bad(
                derivedId(file.relative, -1),
                file.path,
                "corrupt_input",
                what + " after " + lineNo + " lines"));
        finish();
      }
    }

    private void flushParagraph() {
      byte[] p = paragraph.toByteArray();
      paragraph.reset();
      // The newline after the paragraph's last line separates paragraphs; it is not content.
      emitText(p, p.length - 1, ordinal++);
    }

    private void finish() {
      done = true;
      if (docs == 0 && ready.isEmpty()) {
        ready.add(
            RawDoc.bad(derivedId(file.relative, -1), file.path, "empty_file", "no documents"));
      }
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // Reading is over; a close failure loses nothing.
        }
      }
    }

    private String decode(byte[] bytes, int len) throws CharacterCodingException {
      return decoder.reset().decode(ByteBuffer.wrap(bytes, 0, len)).toString();
    }

    private void emitText(byte[] bytes, int len, long ord) {
      String id = derivedId(file.relative, ord);
      if (len > maxDocChars * 4L) {
        ready.add(RawDoc.bad(id, file.path, "too_long", len + " bytes"));
        return;
      }
      try {
        String text = decode(bytes, len);
        if (text.isBlank()) {
          ready.add(RawDoc.bad(id, file.path, "empty_file", "blank document"));
        } else {
          ready.add(checkLength(id, file.path, text));
        }
      } catch (CharacterCodingException e) {
        ready.add(RawDoc.bad(id, file.path, "invalid_utf8", "line " + ord));
      }
    }

    private void emitJson(byte[] bytes, int len, long ord) {
      String fallbackId = derivedId(file.relative, ord);
      String line;
      try {
        line = decode(bytes, len);
      } catch (CharacterCodingException e) {
        ready.add(RawDoc.bad(fallbackId, file.path, "invalid_utf8", "line " + ord));
        return;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        ready.add(
            RawDoc.bad(
                fallbackId,
                file.path,
                "malformed_json",
                "line " + ord + ": " + e.getOriginalMessage()));
        return;
      }
      if (node == null || !node.isObject()) {
        ready.add(
            RawDoc.bad(fallbackId, file.path, "malformed_json", "line " + ord + ": not an object"));
        return;
      }
      String id = fallbackId;
      if (jsonIdField != null) {
        JsonNode idNode = node.get(jsonIdField);
        if (idNode != null && idNode.isValueNode() && !idNode.isNull()) {
          id = idNode.asText();
        }
      }
      JsonNode text = node.get(jsonTextField);
      if (text == null || text.isNull()) {
        ready.add(
            RawDoc.bad(
                id,
                file.path,
                "missing_text_field",
                "line " + ord + ": no '" + jsonTextField + "'"));
      } else if (!text.isTextual()) {
        ready.add(
            RawDoc.bad(
                id,
                file.path,
                "wrong_type_text_field",
                "line " + ord + ": '" + jsonTextField + "' is " + text.getNodeType()));
      } else if (text.asText().isBlank()) {
        ready.add(RawDoc.bad(id, file.path, "empty", "line " + ord + ": blank text"));
      } else {
        ready.add(checkLength(id, file.path, text.asText()));
      }
    }

    // A growable line buffer: lines may be tens of MB, so no per-line allocation when avoidable.
    private byte[] lineBuf = new byte[8192];
    private int lineLength;

    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int lim;

    /** Next line without its terminator (\n or \r\n), or null at end of input. */
    private byte[] readLine() throws IOException {
      int n = 0;
      boolean any = false;
      while (true) {
        if (pos == lim) {
          pos = 0;
          lim = Math.max(0, in.read(chunk, 0, chunk.length));
          if (lim == 0) {
            break;
          }
        }
        any = true;
        int i = pos;
        while (i < lim && chunk[i] != '\n') {
          i++;
        }
        int count = i - pos;
        if (n + count > lineBuf.length) {
          lineBuf = Arrays.copyOf(lineBuf, Math.max(lineBuf.length * 2, n + count));
        }
        System.arraycopy(chunk, pos, lineBuf, n, count);
        n += count;
        if (i < lim) {
          pos = i + 1;
          break;
        }
        pos = lim;
      }
      if (!any) {
        return null;
      }
      if (n > 0 && lineBuf[n - 1] == '\r') {
        n--;
      }
      lineLength = n;
      return lineBuf;
    }
  }

  private static boolean isBlank(byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  private static byte[] stripBom(byte[] b, int len) {
    if (len >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) {
      return Arrays.copyOfRange(b, 3, len);
    }
    return b.length == len ? b : Arrays.copyOf(b, len);
  }

  static InputStream open(InputFile file, Configuration conf) throws IOException {
    Path p = new Path(file.path);
    InputStream raw = new BufferedInputStream(p.getFileSystem(conf).open(p), 1 << 16);
    switch (file.compression) {
      case GZIP:
        return new GZIPInputStream(raw, 1 << 16);
      case BZIP2:
        return new BZip2CompressorInputStream(raw, true);
      case ZSTD:
        return new com.github.luben.zstd.ZstdInputStream(raw);
      default:
        return raw;
    }
  }
}
