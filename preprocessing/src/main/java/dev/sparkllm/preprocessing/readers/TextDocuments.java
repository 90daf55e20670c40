package dev.sparkllm.preprocessing.readers;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
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
import org.apache.hadoop.conf.Configuration;

/**
 * Pulls the documents of one (decompressed) text or JSONL stream one at a time, never holding more
 * than one capped piece: a whole-file document stops being read at {@code max_doc_chars}, a line at
 * {@code max_line_bytes} (the rest of it is skipped unread into memory), a paragraph at three bytes
 * per allowed character. So a gzip bomb or a file without newlines costs a bounded buffer and is
 * rejected as {@code too_long}, instead of being inflated into the executor's heap first.
 */
final class TextDocuments implements Iterator<RawDoc> {
  /**
   * Lines are capped by max_line_bytes before parsing, so Jackson's own string limit (20M chars,
   * reported as a parse error) must not cut in first and call an over-long record malformed.
   */
  private static final ObjectMapper JSON =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
              .build());

  private final FileDocumentReader settings;
  private final InputFile file;
  private final Configuration conf;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final long paragraphCap;
  private CountingInputStream in;
  private final Deque<RawDoc> ready = new ArrayDeque<>();
  private boolean done;
  private long ordinal;
  private long docs;
  private long lineNo;
  private boolean firstLine = true;
  private final ByteArrayOutputStream paragraph = new ByteArrayOutputStream();
  private boolean paragraphTooLong;

  TextDocuments(FileDocumentReader settings, InputFile file, Configuration conf) {
    this.settings = settings;
    this.file = file;
    this.conf = conf;
    // A UTF-8 sequence of n bytes decodes to at least n/3 chars: more bytes are surely too long.
    this.paragraphCap = 3 * settings.maxDocChars;
  }

  /** Decompressed bytes consumed so far: what reading this file has cost. */
  long bytesRead() {
    return in == null ? 0 : in.count;
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
        in = new CountingInputStream(FileDocumentReader.open(file, conf));
      }
      if (file.format == InputFile.Format.TEXT && settings.textMode.equals("document")) {
        readDocument();
        finish();
        return;
      }
      if (!readLine()) {
        flushParagraph();
        finish();
        return;
      }
      lineNo++;
      int off = 0;
      if (firstLine) {
        off = hasBom(lineBuf, lineLength) ? 3 : 0;
        firstLine = false;
      }
      int len = lineLength - off;
      boolean blank = !lineOverflow && isBlank(lineBuf, off, len);
      if (file.format == InputFile.Format.JSONL) {
        if (lineOverflow) {
          ready.add(lineTooLong(derivedId(lineNo), off));
        } else if (!blank) {
          emitJson(off, len, lineNo);
        }
      } else if (settings.textMode.equals("line")) {
        if (lineOverflow) {
          ready.add(lineTooLong(derivedId(lineNo), off));
        } else if (!blank) {
          emitText(lineBuf, off, len, lineNo);
        }
      } else if (blank) {
        flushParagraph();
      } else if (paragraphTooLong
          || lineOverflow
          || paragraph.size() + (long) len + 1 > paragraphCap) {
        if (!paragraphTooLong && paragraph.size() == 0) {
          paragraph.write(lineBuf, off, Math.min(len, 4 * FileDocumentReader.PREFIX_CHARS));
        }
        paragraphTooLong = true;
      } else {
        paragraph.write(lineBuf, off, len);
        paragraph.write('\n');
      }
    } catch (CharacterCodingException e) {
      ready.add(RawDoc.bad(derivedId(0), file.path, "invalid_utf8", "not UTF-8"));
      finish();
    } catch (IOException | UncheckedIOException e) {
      // Truncated or corrupt compressed input: keep what was read, report the rest.
      String what = e instanceof EOFException ? "truncated input" : String.valueOf(e.getMessage());
      ready.add(
          RawDoc.bad(
              derivedId(-1), file.path, "corrupt_input", what + " after " + lineNo + " lines"));
      finish();
    }
  }

  /** The whole file as one document, decoded as it streams and abandoned past the cap. */
  private void readDocument() throws IOException {
    Reader r = new InputStreamReader(in, decoder.reset());
    StringBuilder text = new StringBuilder();
    char[] buf = new char[8192];
    // One char of slack for a byte-order mark, one to know the cap was passed.
    long stopAt = settings.maxDocChars + 2;
    int n;
    while (text.length() < stopAt && (n = r.read(buf, 0, buf.length)) >= 0) {
      text.append(buf, 0, n);
    }
    if (text.length() > 0 && text.charAt(0) == '\uFEFF') {
      text.deleteCharAt(0);
    }
    String id = derivedId(0);
    if (text.length() > settings.maxDocChars) {
      ready.add(
          RawDoc.tooLong(
              id,
              file.path,
              FileDocumentReader.prefix(text),
              "over "
                  + settings.maxDocChars
                  + " chars (preprocess.reader.max_doc_chars); the rest was not read"));
    } else if (text.toString().isBlank()) {
      ready.add(RawDoc.bad(id, file.path, "empty_file", "blank document"));
    } else {
      ready.add(RawDoc.ok(id, file.path, text.toString()));
    }
  }

  private String derivedId(long ord) {
    return FileDocumentReader.derivedId(file.relative, ord);
  }

  private RawDoc lineTooLong(String id, int off) {
    return RawDoc.tooLong(
        id,
        file.path,
        lenient(lineBuf, off, lineLength - off),
        "line "
            + lineNo
            + " over "
            + settings.maxLineBytes
            + " bytes (preprocess.reader.max_line_bytes); the rest was skipped");
  }

  private void flushParagraph() {
    if (paragraph.size() == 0) {
      return;
    }
    byte[] p = paragraph.toByteArray();
    paragraph.reset();
    String id = derivedId(ordinal++);
    if (paragraphTooLong) {
      paragraphTooLong = false;
      ready.add(
          RawDoc.tooLong(
              id,
              file.path,
              lenient(p, 0, p.length),
              "paragraph over "
                  + settings.maxDocChars
                  + " chars (preprocess.reader.max_doc_chars); the rest was skipped"));
      return;
    }
    // The newline after the paragraph's last line separates paragraphs; it is not content.
    emitText(p, 0, p.length - 1, id);
  }

  private void finish() {
    done = true;
    if (docs == 0 && ready.isEmpty()) {
      ready.add(RawDoc.bad(derivedId(-1), file.path, "empty_file", "no documents"));
    }
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // Reading is over; a close failure loses nothing.
      }
    }
  }

  private String decode(byte[] bytes, int off, int len) throws CharacterCodingException {
    return decoder.reset().decode(ByteBuffer.wrap(bytes, off, len)).toString();
  }

  /** The start of a rejected piece for its prefix; bad bytes become U+FFFD. */
  private static String lenient(byte[] bytes, int off, int len) {
    int n = Math.min(len, 4 * FileDocumentReader.PREFIX_CHARS);
    String s = new String(bytes, off, n, StandardCharsets.UTF_8);
    return s.length() > FileDocumentReader.PREFIX_CHARS
        ? s.substring(0, FileDocumentReader.PREFIX_CHARS)
        : s;
  }

  private void emitText(byte[] bytes, int off, int len, long ord) {
    emitText(bytes, off, len, derivedId(ord));
  }

  private void emitText(byte[] bytes, int off, int len, String id) {
    try {
      String text = decode(bytes, off, len);
      if (text.isBlank()) {
        ready.add(RawDoc.bad(id, file.path, "empty_file", "blank document"));
      } else {
        ready.add(settings.checkLength(id, file.path, text));
      }
    } catch (CharacterCodingException e) {
      ready.add(RawDoc.bad(id, file.path, "invalid_utf8", "line " + lineNo));
    }
  }

  private void emitJson(int off, int len, long ord) {
    String fallbackId = derivedId(ord);
    String line;
    try {
      line = decode(lineBuf, off, len);
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
    if (settings.jsonIdField != null) {
      JsonNode idNode = node.get(settings.jsonIdField);
      if (idNode != null && idNode.isValueNode() && !idNode.isNull()) {
        id = idNode.asText();
      }
    }
    String field = settings.jsonTextField;
    JsonNode text = node.get(field);
    if (text == null || text.isNull()) {
      ready.add(
          RawDoc.bad(id, file.path, "missing_text_field", "line " + ord + ": no '" + field + "'"));
    } else if (!text.isTextual()) {
      ready.add(
          RawDoc.bad(
              id,
              file.path,
              "wrong_type_text_field",
              "line " + ord + ": '" + field + "' is " + text.getNodeType()));
    } else if (text.asText().isBlank()) {
      ready.add(RawDoc.bad(id, file.path, "empty", "line " + ord + ": blank text"));
    } else {
      ready.add(settings.checkLength(id, file.path, text.asText()));
    }
  }

  // The current line: at most max_line_bytes of it are kept; lineOverflow says more was skipped.
  private byte[] lineBuf = new byte[8192];
  private int lineLength;
  private boolean lineOverflow;

  private final byte[] chunk = new byte[1 << 16];
  private int pos;
  private int lim;

  /** Reads the next line without its terminator (\n or \r\n); false at end of input. */
  private boolean readLine() throws IOException {
    int cap = settings.maxLineBytes;
    int n = 0;
    boolean any = false;
    boolean overflow = false;
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
      // One byte over the cap is kept so that a trailing '\r' alone does not count as too long.
      int keep = overflow ? 0 : Math.min(count, cap + 1 - n);
      if (keep > 0) {
        if (n + keep > lineBuf.length) {
          lineBuf =
              Arrays.copyOf(
                  lineBuf, (int) Math.min(cap + 1L, Math.max(lineBuf.length * 2L, n + keep)));
        }
        System.arraycopy(chunk, pos, lineBuf, n, keep);
        n += keep;
      }
      overflow |= keep < count;
      if (i < lim) {
        pos = i + 1;
        break;
      }
      pos = lim;
    }
    if (!any) {
      return false;
    }
    if (!overflow && n > 0 && lineBuf[n - 1] == '\r') {
      n--;
    }
    lineOverflow = overflow || n > cap;
    lineLength = Math.min(n, cap);
    return true;
  }

  private static boolean isBlank(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  private static boolean hasBom(byte[] b, int len) {
    return len >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF;
  }
}
