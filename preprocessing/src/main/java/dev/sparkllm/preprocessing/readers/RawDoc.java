package dev.sparkllm.preprocessing.readers;

import java.io.Serializable;

/**
 * One document as read, or one unreadable piece of input: {@code error} is then a short stable
 * reason ("invalid_utf8", "malformed_json", ...) and {@code text} may be null. Unreadable pieces
 * become rejected rows, so input always reconciles with kept + rejected.
 */
public final class RawDoc implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String id;
  public final String source;
  public final String text;
  public final String error;

  public RawDoc(String id, String source, String text, String error) {
    this.id = id;
    this.source = source;
    this.text = text;
    this.error = error;
  }

  static RawDoc ok(String id, String source, String text) {
    return new RawDoc(id, source, text, null);
  }

  static RawDoc bad(String id, String source, String reason, String detail) {
    return new RawDoc(id, source, detail, reason);
  }
}
