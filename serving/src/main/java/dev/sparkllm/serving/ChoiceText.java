package dev.sparkllm.serving;

import java.util.Arrays;
import java.util.List;

/**
 * The text of one choice as its tokens arrive: incremental detokenization, stop sequences and the
 * output safety net. {@link #take} returns what may be sent now; text that could still turn into a
 * stop sequence or a blocked pattern is held back until it cannot.
 */
final class ChoiceText {
  private final TextModel model;
  private final List<String> stop;
  private final SafetyNet safety;
  private final ServeMetrics metrics;
  private int[] ids = new int[16];
  private int count;
  private String raw = ""; // decoded text, cut at a stop sequence or a refused match
  private int sentRaw; // raw characters already turned into output
  private final StringBuilder out = new StringBuilder();
  private String finishReason;

  ChoiceText(TextModel model, List<String> stop, SafetyNet safety, ServeMetrics metrics) {
    this.model = model;
    this.stop = stop;
    this.safety = safety;
    this.metrics = metrics;
  }

  int tokens() {
    return count;
  }

  /**
   * Set when the text itself ended the choice (stop sequence: "stop"; refusal: "content_filter").
   */
  String finishReason() {
    return finishReason;
  }

  /** Adds a token; returns the finish reason if the text now ends the choice, else null. */
  String add(int token) {
    if (count == ids.length) {
      ids = Arrays.copyOf(ids, count * 2);
    }
    ids[count++] = token;
    String text = model.decode(Arrays.copyOf(ids, count));
    if (text.endsWith("\uFFFD")) {
      return null; // an incomplete UTF-8 sequence: wait for its remaining bytes
    }
    raw = text;
    int cut = -1;
    for (String s : stop) {
      int i = raw.indexOf(s, Math.max(0, sentRaw - s.length()));
      if (i >= 0 && (cut < 0 || i < cut)) {
        cut = i;
      }
    }
    if (cut >= 0) {
      raw = raw.substring(0, cut);
      finishReason = "stop";
    }
    if (safety.action() == SafetyNet.Action.REFUSE) {
      int m = safety.firstMatch(raw, 0);
      if (m >= 0) {
        raw = raw.substring(0, m);
        finishReason = "content_filter";
        metrics.safety.labelValues("output", "refused").inc();
      }
    }
    return finishReason;
  }

  /** Output that may be sent now; {@code last} = the choice has ended, send everything. */
  String take(boolean last) {
    int upTo = raw.length();
    if (!last) {
      int hold = 0;
      for (String s : stop) {
        hold = Math.max(hold, s.length() - 1);
      }
      if (safety.active()) {
        hold = Math.max(hold, SafetyNet.HOLD_BACK);
      }
      upTo = Math.max(sentRaw, raw.length() - hold);
      if (safety.action() == SafetyNet.Action.REDACT) {
        int end = safety.matchSpanning(raw, upTo);
        if (end >= 0) {
          upTo = sentRaw; // a match straddles the cut: wait until it can be sent whole
        }
      }
      if (safety.redactsPii()) {
        upTo = Math.max(sentRaw, raw.lastIndexOf('\n', upTo - 1) + 1);
      }
    }
    if (upTo <= sentRaw) {
      return "";
    }
    String chunk = raw.substring(sentRaw, upTo);
    sentRaw = upTo;
    if (safety.action() == SafetyNet.Action.REDACT) {
      String r = safety.redactPatterns(chunk);
      if (!r.equals(chunk)) {
        metrics.safety.labelValues("output", "redacted").inc();
      }
      chunk = r;
    }
    String p = safety.redactPii(chunk);
    if (!p.equals(chunk)) {
      metrics.safety.labelValues("output", "pii").inc();
    }
    out.append(p);
    return p;
  }

  /** Everything sent so far. */
  String text() {
    return out.toString();
  }
}
