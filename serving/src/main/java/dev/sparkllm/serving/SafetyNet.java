package dev.sparkllm.serving;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.steps.pii.PiiRedactor;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Block patterns on prompts and outputs, refusing or redacting, and optional PII redaction of
 * outputs with the preprocess stage's detectors. Streaming holds back the last {@link #HOLD_BACK}
 * characters (and, with PII redaction, everything after the last line break) so a match that spans
 * two chunks is still caught before any of it is sent.
 */
final class SafetyNet {
  /** Characters kept back while streaming: block patterns longer than this may slip through. */
  static final int HOLD_BACK = 64;

  enum Action {
    REFUSE,
    REDACT;

    static Action parse(String s) {
      return switch (String.valueOf(s)) {
        case "refuse" -> REFUSE;
        case "redact" -> REDACT;
        default ->
            throw new SparkLlmException(
                "config key 'serve.block_action' must be refuse or redact, got " + s);
      };
    }
  }

  private final List<Pattern> patterns = new ArrayList<>();
  private final Action action;
  private final String replacement;
  private final PiiRedactor pii;

  SafetyNet(ServeSettings s, Config cfg) {
    for (String p : s.blockPatterns()) {
      try {
        patterns.add(Pattern.compile(p, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
      } catch (PatternSyntaxException e) {
        throw new SparkLlmException(
            "serve.block_patterns: '"
                + p
                + "' is not a valid regular expression: "
                + e.getDescription());
      }
    }
    this.action = s.blockAction();
    this.replacement = s.redactWith();
    this.pii = s.redactPii() ? new PiiRedactor(cfg.section("preprocess.pii")) : null;
  }

  boolean active() {
    return !patterns.isEmpty() || pii != null;
  }

  Action action() {
    return action;
  }

  boolean redactsPii() {
    return pii != null;
  }

  /** Start of the first block-pattern match at or after {@code from}, or -1. */
  int firstMatch(CharSequence text, int from) {
    int best = -1;
    for (Pattern p : patterns) {
      Matcher m = p.matcher(text);
      if (m.find(from) && (best < 0 || m.start() < best)) {
        best = m.start();
      }
    }
    return best;
  }

  /** End of the match that contains {@code pos} (start < pos < end), or -1. */
  int matchSpanning(CharSequence text, int pos) {
    int end = -1;
    for (Pattern p : patterns) {
      Matcher m = p.matcher(text);
      while (m.find()) {
        if (m.start() < pos && m.end() > pos) {
          end = Math.max(end, m.end());
        }
        if (m.start() >= pos) {
          break;
        }
      }
    }
    return end;
  }

  /** Block-pattern matches replaced (redact action). */
  String redactPatterns(String text) {
    for (Pattern p : patterns) {
      text = p.matcher(text).replaceAll(Matcher.quoteReplacement(replacement));
    }
    return text;
  }

  /** PII replaced by typed placeholders, when switched on. */
  String redactPii(String text) {
    return pii == null ? text : pii.redact(text);
  }
}
