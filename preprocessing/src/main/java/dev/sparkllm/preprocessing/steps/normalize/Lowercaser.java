package dev.sparkllm.preprocessing.steps.normalize;

import dev.sparkllm.preprocessing.steps.TextModifier;
import java.util.Locale;

/**
 * Lowercases the text with {@link Locale#ROOT}, so the result does not depend on the executor's
 * default locale (a Turkish locale would turn {@code I} into a dotless {@code ı}).
 */
public final class Lowercaser extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "lowercase";

  public Lowercaser() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    return text.toLowerCase(Locale.ROOT);
  }
}
