package dev.sparkllm.evaluation;

import dev.sparkllm.core.Config;
import dev.sparkllm.evaluation.EvaluateJob.Output;
import dev.sparkllm.evaluation.metrics.Bleu;
import dev.sparkllm.evaluation.metrics.Rouge;
import dev.sparkllm.evaluation.metrics.TokenMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tasks} section of report.json: per task file its metrics on the clean examples
 * (BLEU/ROUGE for generation, accuracy/macro-F1 for classification) and, per perturbation, the
 * metrics and their change (robustness).
 */
final class TaskReports {
  private TaskReports() {}

  /** One report per task file; empty and malformed task files also become warnings. */
  static List<Map<String, Object>> of(
      List<TaskFile.Parsed> tasks,
      List<Output> outputs,
      List<String> perturbations,
      Config ec,
      List<String> warnings) {
    List<Map<String, Object>> reports = new ArrayList<>();
    if (tasks.isEmpty()) {
      return reports;
    }
    boolean stemmer = ec.getBoolean("rouge_stemmer");
    for (TaskFile.Parsed t : tasks) {
      reports.add(taskReport(t, outputs, perturbations, stemmer));
      if (t.empty()) {
        warnings.add("task file " + t.path() + " is empty (no examples)");
      }
      if (t.malformed() > 0) {
        Map.Entry<Integer, String> first = t.malformedLines().entrySet().iterator().next();
        warnings.add(
            "task file "
                + t.path()
                + ": "
                + t.malformed()
                + " malformed line(s), e.g. line "
                + first.getKey()
                + ": "
                + first.getValue());
      }
    }
    return reports;
  }

  static Map<String, Object> taskReport(
      TaskFile.Parsed t, List<Output> outputs, List<String> perturbations, boolean stemmer) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("task", t.name());
    r.put("file", t.path());
    r.put("kind", t.kind());
    r.put("examples", t.items().size());
    r.put("malformed", t.malformed());
    Map<String, String> lines = new LinkedHashMap<>();
    t.malformedLines().forEach((k, v) -> lines.put(String.valueOf(k), v));
    r.put("malformed_lines", lines);
    r.put("empty", t.empty());
    Map<String, Double> clean = metrics(t, outputs, TaskFile.Item.CLEAN, stemmer);
    r.put("metrics", clean);
    if (!perturbations.isEmpty() && !clean.isEmpty()) {
      r.put("robustness", robustness(t, outputs, perturbations, stemmer, clean));
    }
    return r;
  }

  /**
   * Per perturbation: its metrics, their difference from the clean ones, and how many prompts it
   * changed (0 means the deltas say nothing: e.g. a rate too low for short prompts).
   */
  private static Map<String, Object> robustness(
      TaskFile.Parsed t,
      List<Output> outputs,
      List<String> perturbations,
      boolean stemmer,
      Map<String, Double> clean) {
    Map<String, Object> robust = new LinkedHashMap<>();
    for (String p : perturbations) {
      Map<String, Double> m = metrics(t, outputs, p, stemmer);
      Map<String, Double> delta = new LinkedHashMap<>();
      m.forEach((k, v) -> delta.put(k, v - clean.get(k)));
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("metrics", m);
      r.put("delta", delta);
      r.put("changed_prompts", changedPrompts(t, outputs, p));
      robust.put(p, r);
    }
    return robust;
  }

  private static long changedPrompts(TaskFile.Parsed t, List<Output> outputs, String variant) {
    Map<Integer, String> clean = new HashMap<>();
    for (Output o : outputs) {
      if (o.task().equals(t.name()) && o.variant().equals(TaskFile.Item.CLEAN)) {
        clean.put(o.line(), o.prompt());
      }
    }
    return outputs.stream()
        .filter(o -> o.task().equals(t.name()) && o.variant().equals(variant))
        .filter(o -> !o.prompt().equals(clean.get(o.line())))
        .count();
  }

  private static Map<String, Double> metrics(
      TaskFile.Parsed t, List<Output> outputs, String variant, boolean stemmer) {
    List<Output> mine = new ArrayList<>();
    for (Output o : outputs) {
      if (o.task().equals(t.name()) && o.variant().equals(variant)) {
        mine.add(o);
      }
    }
    mine.sort((a, b) -> Integer.compare(a.line(), b.line()));
    if (mine.isEmpty()) {
      return new LinkedHashMap<>();
    }
    return TaskFile.GENERATION.equals(t.kind())
        ? generationMetrics(mine, stemmer)
        : classificationMetrics(mine);
  }

  private static Map<String, Double> generationMetrics(List<Output> mine, boolean stemmer) {
    List<String> hyps = new ArrayList<>();
    List<List<String>> refs = new ArrayList<>();
    List<Rouge.Result> rouge = new ArrayList<>();
    Rouge scorer = new Rouge(stemmer);
    for (Output o : mine) {
      hyps.add(o.output());
      refs.add(o.references());
      rouge.add(scorer.scoreMulti(o.references(), o.output()));
    }
    Bleu.Score bleu = Bleu.sacreBleuDefaults().corpusScore(hyps, refs);
    Rouge.Result mean = Rouge.mean(rouge);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("bleu", bleu.score());
    metrics.put("bleu_brevity_penalty", bleu.bp());
    metrics.put("rouge1", mean.rouge1().fmeasure());
    metrics.put("rouge2", mean.rouge2().fmeasure());
    metrics.put("rougeL", mean.rougeL().fmeasure());
    return metrics;
  }

  private static Map<String, Double> classificationMetrics(List<Output> mine) {
    List<String> pred = new ArrayList<>();
    List<String> gold = new ArrayList<>();
    for (Output o : mine) {
      pred.add(String.valueOf(o.predicted()));
      gold.add(String.valueOf(o.answer()));
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("accuracy", TokenMetrics.accuracy(pred, gold));
    metrics.put("macro_f1", TokenMetrics.macroF1(pred, gold));
    return metrics;
  }
}
