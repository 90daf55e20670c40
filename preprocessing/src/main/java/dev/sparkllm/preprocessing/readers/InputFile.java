package dev.sparkllm.preprocessing.readers;

import java.io.Serializable;
import java.util.Locale;

/**
 * One input file: its qualified path, the path relative to the input root (used for document ids,
 * so ids survive moving the corpus between stores), and its format and compression.
 */
public final class InputFile implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Format {
    TEXT,
    JSONL,
    PARQUET
  }

  public enum Compression {
    NONE,
    GZIP,
    BZIP2,
    ZSTD
  }

  public final String path;
  public final String relative;
  public final Format format;
  public final Compression compression;

  public InputFile(String path, String relative, Format format, Compression compression) {
    this.path = path;
    this.relative = relative;
    this.format = format;
    this.compression = compression;
  }

  public static Compression compressionOf(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".gz") || n.endsWith(".gzip")) {
      return Compression.GZIP;
    } else if (n.endsWith(".bz2")) {
      return Compression.BZIP2;
    } else if (n.endsWith(".zst") || n.endsWith(".zstd")) {
      return Compression.ZSTD;
    }
    return Compression.NONE;
  }

  /** Format from the extension under any compression suffix; null when unknown. */
  public static Format formatOf(String name) {
    String n = name.toLowerCase(Locale.ROOT).replaceAll("\\.(gz|gzip|bz2|zst|zstd)$", "");
    if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) {
      return Format.JSONL;
    } else if (n.endsWith(".parquet")) {
      return Format.PARQUET;
    } else if (n.endsWith(".txt") || n.endsWith(".text") || n.endsWith(".md")) {
      return Format.TEXT;
    }
    return null;
  }
}
