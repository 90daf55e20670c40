package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.preprocessing.Document;

/** A step that rewrites text. A document left empty by the rewrite is rejected as "empty". */
public abstract class TextModifier extends NamedStep {
  private static final long serialVersionUID = 1L;

  protected TextModifier(String name) {
    super(name);
  }

  /** Returns the rewritten text (the same instance when nothing changes). */
  protected abstract String modify(String text);

  @Override
  public final String apply(Document doc) {
    doc.text = modify(doc.text);
    return doc.text == null || doc.text.isBlank() ? "empty" : null;
  }
}
