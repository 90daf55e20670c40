package dev.sparkllm.preprocessing.readers;

import java.io.Serializable;

/**
 * One document as read, or one unreadable piece of input: {@code error} is then a short stable
 * reason ("invalid_utf8", "malformed_json", "too_long", ...), {@code detail} says what was wrong
 * and {@code text} holds what is worth keeping as the rejected row's prefix (the start of an
 * over-long document, otherwise the detail). Unreadable pieces become rejected rows, so input
 * always reconciles with kept + rejected.
 */
public final class RawDoc implements Serializable {
  private static final long serialVersionUID = 2L;

  public final String id;
  public final String source;
  public final String text;
  public final String error;
  public final String detail;

  public RawDoc(String id, String source, String text, String error, String detail) {
    this.id = id;
    this.source = source;
    this.text = text;
    this.error = error;
    this.detail = detail;
  }

  static RawDoc ok(String id, String source, String text) {
    return new RawDoc(id, source, text, null, null);
  }

  static RawDoc bad(String id, String source, String reason, String detail) {
    return new RawDoc(id, source, detail, reason, detail);
  }

  /** A document over a length cap: its first characters are kept for inspection. */
  static RawDoc tooLong(String id, String source, String prefix, String detail) {
    return new RawDoc(id, source, prefix, FileDocumentReader.TOO_LONG, detail);
  }
}
