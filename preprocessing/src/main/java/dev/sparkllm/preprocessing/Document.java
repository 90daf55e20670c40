package dev.sparkllm.preprocessing;

import java.io.Serializable;
import java.util.TreeMap;

/**
 * A document as it moves through the per-document steps. Steps change {@link #text} in place and
 * may set the language fields or add redaction counts.
 */
public final class Document implements Serializable {
  private static final long serialVersionUID = 1L;

  public String id;
  public String source;
  public String text;

  /** ISO 639-1 code, or null before language identification ("unknown" when undetermined). */
  public String lang;

  public double langConfidence;

  /** Redactions by placeholder type (EMAIL, PHONE, ...), in a stable order. */
  public final TreeMap<String, Integer> redactions = new TreeMap<>();

  public Document(String id, String source, String text) {
    this.id = id;
    this.source = source;
    this.text = text;
  }

  public void addRedactions(String type, int count) {
    if (count > 0) {
      redactions.merge(type, count, Integer::sum);
    }
  }
}
