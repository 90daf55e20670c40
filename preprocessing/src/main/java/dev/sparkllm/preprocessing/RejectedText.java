package dev.sparkllm.preprocessing;

import static org.apache.spark.sql.functions.udf;

import dev.sparkllm.preprocessing.steps.DocumentStep;
import dev.sparkllm.preprocessing.steps.pii.PiiRedactor;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * What of a rejected document is written to {@code rejected/}: its first characters and the detail
 * of why, both through the job's PII redactor. PII redaction is the last per-document step, so a
 * document rejected before it (by a quality filter, a read error, ...) still holds its e-mail
 * addresses, phone numbers and keys; without this they would leak into rejected/ verbatim.
 */
final class RejectedText {
  /**
   * The prefix is redacted with this many characters more and then cut, so a match that starts
   * inside the prefix and runs past its end (an e-mail at character 195 of 200) is still whole when
   * the detectors see it.
   */
  private static final int MARGIN = 512;

  private RejectedText() {}

  /** The redactor among the enabled steps, or null when PII redaction is switched off. */
  static PiiRedactor redactorOf(List<DocumentStep> steps) {
    for (DocumentStep s : steps) {
      if (s instanceof PiiRedactor p) {
        return p;
      }
    }
    return null;
  }

  /** The first {@code chars} characters of {@code text}, redacted. */
  static Column prefix(Column text, int chars, PiiRedactor redactor) {
    return redacted(chars, redactor).apply(text);
  }

  /** {@code text} redacted (detail messages are short; they are cut to a prefix all the same). */
  static Column redacted(Column text, PiiRedactor redactor) {
    return redacted(Integer.MAX_VALUE - MARGIN, redactor).apply(text);
  }

  private static UserDefinedFunction redacted(int chars, PiiRedactor redactor) {
    UDF1<String, String> f = s -> cut(s, chars, redactor);
    return udf(f, DataTypes.StringType);
  }

  static String cut(String s, int chars, PiiRedactor redactor) {
    if (s == null) {
      return null;
    }
    String head = s.length() > chars + MARGIN ? s.substring(0, chars + MARGIN) : s;
    String clean = redactor == null ? head : redactor.redact(head);
    return clean.length() > chars ? clean.substring(0, chars) : clean;
  }
}
