package dev.sparkllm.preprocessing.steps.clean;

import dev.sparkllm.preprocessing.steps.TextModifier;
import java.text.Normalizer;

/**
 * Unicode NFKC normalization: compatibility characters become their plain forms (full-width {@code
 * Ａ} → {@code A}, ligature {@code ﬁ} → {@code fi}, {@code …} → {@code ...}, no-break space →
 * space), and composed/decomposed accents become one form, so equal-looking text has equal bytes
 * for dedup and the tokenizer.
 */
public final class UnicodeNfkc extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "unicode_nfkc";

  public UnicodeNfkc() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    // isNormalized is a quick check that avoids building a copy for already-normal text (ASCII).
    return Normalizer.isNormalized(text, Normalizer.Form.NFKC)
        ? text
        : Normalizer.normalize(text, Normalizer.Form.NFKC);
  }
}
