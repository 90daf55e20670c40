package dev.sparkllm.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code report.html}: one self-contained page (plots are PNGs in data URIs, CSS inline) with the
 * summary, training curves from {@code metrics.jsonl}, task metrics and samples. Every string that
 * comes from a model, a user or a file goes through {@link #escape}.
 */
public final class ReportWriter {
  private ReportWriter() {}

  /**
   * {@code bin/spark-llm report}: curves of a (possibly running) run into {@code OUT/report.html}.
   */
  public static String renderRun(String runDir, String out) {
    String metrics = Storage.join(runDir, "metrics.jsonl");
    if (!Storage.exists(metrics)) {
      throw new SparkLlmException(
          metrics + " does not exist; --run must be a training run directory");
    }
    String target = Storage.join(out, "report.html");
    StringBuilder body = new StringBuilder();
    body.append("<h1>Training run</h1><p>").append(escape(Storage.qualify(runDir))).append("</p>");
    List<JsonNode> rows = readMetrics(metrics);
    body.append(summaryOfRun(rows));
    body.append(curves(rows));
    Storage.writeString(target, page("spark-llm run report", body.toString()));
    return target;
  }

  /** The evaluate report; {@code metricsJsonl} may be null when the run's curves are unknown. */
  static void writeHtml(
      String target,
      Map<String, Object> report,
      String metricsJsonl,
      List<Map<String, Object>> samples) {
    JsonNode r = Json.MAPPER.valueToTree(report);
    StringBuilder b = new StringBuilder("<h1>Evaluation report</h1>");
    b.append("<h2>Summary</h2><table>");
    row(b, "checkpoint", r.path("checkpoint").asText());
    row(b, "step", r.path("step").asText());
    row(b, "config hash", r.path("config_hash").asText());
    row(b, "data", r.path("data").asText());
    JsonNode lm = r.path("language_model");
    row(b, "test split", lm.path("split").asText());
    row(b, "tokens scored", lm.path("tokens").asText());
    row(b, "context length", lm.path("context_length").asText());
    row(b, "cross-entropy (nats/token)", num(lm.path("cross_entropy")));
    row(b, "perplexity", num(lm.path("perplexity")));
    row(b, "next-token accuracy", num(lm.path("next_token_accuracy")));
    row(
        b,
        "unigram baseline cross-entropy (context ignored)",
        num(lm.path("unigram_baseline_cross_entropy")));
    row(b, "unigram baseline perplexity", num(lm.path("unigram_baseline_perplexity")));
    b.append("</table>");
    if (r.path("warnings").size() > 0) {
      b.append("<h2>Warnings</h2><ul class=warn>");
      r.path("warnings").forEach(w -> b.append("<li>").append(escape(w.asText())).append("</li>"));
      b.append("</ul>");
    }
    if (metricsJsonl != null) {
      b.append(curves(readMetrics(metricsJsonl)));
    }
    if (r.path("tasks").size() > 0) {
      b.append("<h2>Tasks</h2><table><tr><th>task</th><th>kind</th><th>examples</th>")
          .append("<th>malformed lines</th><th>metrics</th></tr>");
      for (JsonNode t : r.path("tasks")) {
        StringBuilder m = new StringBuilder();
        t.path("metrics")
            .fields()
            .forEachRemaining(
                e ->
                    m.append(escape(e.getKey()))
                        .append(" = ")
                        .append(num(e.getValue()))
                        .append("<br>"));
        StringBuilder bad = new StringBuilder(String.valueOf(t.path("malformed").asInt()));
        t.path("malformed_lines")
            .fields()
            .forEachRemaining(
                e ->
                    bad.append("<br>line ")
                        .append(escape(e.getKey()))
                        .append(": ")
                        .append(escape(e.getValue().asText())));
        b.append("<tr><td>")
            .append(escape(t.path("task").asText()))
            .append(t.path("empty").asBoolean() ? " <b>(empty file)</b>" : "")
            .append("</td><td>")
            .append(escape(t.path("kind").asText("-")))
            .append("</td><td>")
            .append(t.path("examples").asInt())
            .append("</td><td>")
            .append(bad)
            .append("</td><td>")
            .append(m)
            .append("</td></tr>");
      }
      b.append("</table>");
      robustness(b, r.path("tasks"));
    }
    if (!samples.isEmpty()) {
      b.append("<h2>Samples</h2><table><tr><th>task</th><th>prompt</th><th>output</th>")
          .append("<th>reference</th></tr>");
      for (Map<String, Object> s : samples) {
        b.append("<tr><td>")
            .append(escape(s.get("task") + ":" + s.get("line")))
            .append("</td><td><pre>")
            .append(escape(String.valueOf(s.get("prompt"))))
            .append("</pre></td><td><pre>")
            .append(escape(String.valueOf(s.get("output"))))
            .append("</pre></td><td><pre>")
            .append(escape(String.valueOf(s.get("reference"))))
            .append("</pre></td></tr>");
      }
      b.append("</table>");
    }
    b.append("<h2>report.json</h2><details><summary>all numbers</summary><pre>")
        .append(escape(Json.write(report)))
        .append("</pre></details>");
    Storage.writeString(target, page("spark-llm evaluation report", b.toString()));
  }

  private static void robustness(StringBuilder b, JsonNode tasks) {
    StringBuilder rows = new StringBuilder();
    for (JsonNode t : tasks) {
      t.path("robustness")
          .fields()
          .forEachRemaining(
              p -> {
                StringBuilder d = new StringBuilder();
                p.getValue()
                    .path("delta")
                    .fields()
                    .forEachRemaining(
                        e ->
                            d.append(escape(e.getKey()))
                                .append(String.format(" %+.4f", e.getValue().doubleValue()))
                                .append("<br>"));
                rows.append("<tr><td>")
                    .append(escape(t.path("task").asText()))
                    .append("</td><td>")
                    .append(escape(p.getKey()))
                    .append("</td><td>")
                    .append(d)
                    .append("</td></tr>");
              });
    }
    if (rows.length() > 0) {
      b.append("<h2>Robustness (metric change vs. clean prompts)</h2><table>")
          .append("<tr><th>task</th><th>perturbation</th><th>delta</th></tr>")
          .append(rows)
          .append("</table>");
    }
  }

  /** HTML text/attribute escaping of the five significant characters. */
  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String k, String v) {
    b.append("<tr><th>")
        .append(escape(k))
        .append("</th><td>")
        .append(escape(v))
        .append("</td></tr>");
  }

  private static String num(JsonNode n) {
    return n.isNumber() ? String.format("%.4f", n.doubleValue()) : escape(n.asText("-"));
  }

  static List<JsonNode> readMetrics(String path) {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Storage.readString(path).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        rows.add(Json.MAPPER.readTree(line));
      } catch (IOException e) {
        // A run in progress may have a half-written last line.
      }
    }
    return rows;
  }

  private static String summaryOfRun(List<JsonNode> rows) {
    StringBuilder b = new StringBuilder("<h2>Summary</h2><table>");
    JsonNode last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
    row(b, "logged steps", String.valueOf(rows.size()));
    if (last != null) {
      row(b, "last step", last.path("step").asText());
      row(b, "last train loss", num(last.path("train_loss")));
      row(b, "last lr", last.path("lr").asText());
    }
    double best = Double.NaN;
    for (JsonNode r : rows) {
      if (r.path("val_loss").isNumber()) {
        best =
            Double.isNaN(best)
                ? r.get("val_loss").doubleValue()
                : Math.min(best, r.get("val_loss").doubleValue());
      }
    }
    row(b, "best val loss", Double.isNaN(best) ? "-" : String.format("%.4f", best));
    return b.append("</table>").toString();
  }

  /** Loss (train + val) and learning-rate plots, or a note when there is nothing to draw. */
  static String curves(List<JsonNode> rows) {
    StringBuilder b = new StringBuilder("<h2>Training curves</h2>");
    List<Double> trainX = new ArrayList<>();
    List<Double> trainY = new ArrayList<>();
    List<Double> valX = new ArrayList<>();
    List<Double> valY = new ArrayList<>();
    List<Double> lrX = new ArrayList<>();
    List<Double> lrY = new ArrayList<>();
    for (JsonNode r : rows) {
      double step = r.path("step").asDouble();
      add(r.path("train_loss"), step, trainX, trainY);
      add(r.path("val_loss"), step, valX, valY);
      add(r.path("lr"), step, lrX, lrY);
    }
    if (trainX.isEmpty() && valX.isEmpty()) {
      return b.append("<p>metrics.jsonl has no loss values yet.</p>").toString();
    }
    XYChart loss =
        new XYChartBuilder()
            .width(800)
            .height(400)
            .title("Loss")
            .xAxisTitle("step")
            .yAxisTitle("loss")
            .build();
    if (!trainX.isEmpty()) {
      loss.addSeries("train", trainX, trainY).setMarker(SeriesMarkers.NONE);
    }
    if (!valX.isEmpty()) {
      XYSeries v = loss.addSeries("validation", valX, valY);
      v.setMarker(SeriesMarkers.CIRCLE);
    }
    b.append(img(loss, "training and validation loss"));
    if (!lrX.isEmpty()) {
      XYChart lr =
          new XYChartBuilder()
              .width(800)
              .height(300)
              .title("Learning rate")
              .xAxisTitle("step")
              .yAxisTitle("lr")
              .build();
      lr.getStyler().setLegendVisible(false);
      lr.addSeries("lr", lrX, lrY).setMarker(SeriesMarkers.NONE);
      b.append(img(lr, "learning rate"));
    }
    return b.toString();
  }

  private static void add(JsonNode v, double step, List<Double> xs, List<Double> ys) {
    if (v.isNumber() && Double.isFinite(v.doubleValue())) {
      xs.add(step);
      ys.add(v.doubleValue());
    }
  }

  private static String img(XYChart chart, String alt) {
    // Charts render through AWT; a server without a display needs headless mode.
    System.setProperty("java.awt.headless", "true");
    try {
      byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
      return "<p><img alt=\""
          + escape(alt)
          + "\" src=\"data:image/png;base64,"
          + Base64.getEncoder().encodeToString(png)
          + "\"></p>";
    } catch (IOException e) {
      throw new SparkLlmException("cannot render chart '" + alt + "': " + e.getMessage());
    }
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>"
        + escape(title)
        + "</title><style>"
        + "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        + "table{border-collapse:collapse;margin:1em 0}"
        + "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        + "th{background:#f3f3f3}pre{white-space:pre-wrap;margin:0;max-width:420px}"
        + ".warn li{color:#a40}"
        + "</style></head><body>\n"
        + body
        + "\n</body></html>\n";
  }
}
