package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.preprocessing.Document;

/** A step that keeps or rejects a document without changing it. */
public abstract class DocumentFilter extends NamedStep {
  private static final long serialVersionUID = 1L;

  protected DocumentFilter(String name) {
    super(name);
  }

  /** Returns null to keep the document, or a short stable reason to reject it. */
  protected abstract String reject(Document doc);

  @Override
  public final String apply(Document doc) {
    return reject(doc);
  }
}
