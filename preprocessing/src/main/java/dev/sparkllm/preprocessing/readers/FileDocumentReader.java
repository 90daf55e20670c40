package dev.sparkllm.preprocessing.readers;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.SparkLlmException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Streams the documents of one input file: plain text (whole file, per line or per paragraph),
 * JSONL or Parquet, under gzip/bzip2/zstd by extension. Every problem becomes a {@link RawDoc} with
 * a reason instead of an exception, so one bad line or file never fails the job and is never
 * silently dropped. Reading is bounded: nothing longer than {@code max_doc_chars} characters or,
 * for one line, {@code max_line_bytes} bytes is ever held, however large the (decompressed) file.
 */
public final class FileDocumentReader implements Serializable {
  private static final long serialVersionUID = 2L;

  /** The reason of a document over a length cap, here or after a step that expanded it. */
  public static final String TOO_LONG = "too_long";

  /** Characters of an over-long document kept for its rejected row. */
  static final int PREFIX_CHARS = 1000;

  final String textMode;
  final String jsonTextField;
  final String jsonIdField;
  final String parquetTextColumn;
  final String parquetIdColumn;
  final long maxDocChars;
  final int maxLineBytes;

  public FileDocumentReader(Config reader) {
    this.textMode = reader.getString("text_mode");
    if (!Arrays.asList("document", "line", "paragraph").contains(textMode)) {
      throw new SparkLlmException(
          "config key 'preprocess.reader.text_mode' must be document, line or paragraph, got '"
              + textMode
              + "'");
    }
    this.jsonTextField = reader.getString("jsonl_text_field");
    this.jsonIdField = reader.getString("jsonl_id_field");
    this.parquetTextColumn = reader.getString("parquet_text_column");
    this.parquetIdColumn = reader.getString("parquet_id_column");
    this.maxDocChars = reader.getLong("max_doc_chars");
    if (maxDocChars < 1 || maxDocChars > Integer.MAX_VALUE / 3) {
      throw new SparkLlmException(
          "config key 'preprocess.reader.max_doc_chars' must be between 1 and "
              + Integer.MAX_VALUE / 3
              + ", got "
              + maxDocChars);
    }
    long line = reader.getLong("max_line_bytes");
    if (line < 1 || line > Integer.MAX_VALUE - 16) {
      throw new SparkLlmException(
          "config key 'preprocess.reader.max_line_bytes' must be between 1 and "
              + (Integer.MAX_VALUE - 16)
              + ", got "
              + line);
    }
    this.maxLineBytes = (int) line;
  }

  /** The longest document kept, in characters. */
  public long maxDocChars() {
    return maxDocChars;
  }

  /** Stable id from the file's path relative to its input root and the document's position. */
  public static String derivedId(String relative, long ordinal) {
    return Hashing.sha256Hex(relative + "#" + ordinal).substring(0, 20);
  }

  public Iterator<RawDoc> read(InputFile file, Configuration conf) {
    if (file.format == InputFile.Format.PARQUET) {
      return new ParquetDocuments(this, file, conf);
    }
    return new TextDocuments(this, file, conf);
  }

  RawDoc checkLength(String id, String source, String text) {
    if (text.length() > maxDocChars) {
      return RawDoc.tooLong(
          id,
          source,
          prefix(text),
          text.length() + " chars, over " + maxDocChars + " (preprocess.reader.max_doc_chars)");
    }
    return RawDoc.ok(id, source, text);
  }

  static String prefix(CharSequence text) {
    return text.subSequence(0, Math.min(text.length(), PREFIX_CHARS)).toString();
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
