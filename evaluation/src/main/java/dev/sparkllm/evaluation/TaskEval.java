package dev.sparkllm.evaluation;

import dev.sparkllm.core.Config;
import dev.sparkllm.evaluation.EvaluateJob.Output;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Runs the task examples on executors: each example as written plus one perturbed copy per
 * configured perturbation (robustness), spread over partitions; each task loads the checkpoint once
 * and returns one {@link Output} per example.
 */
final class TaskEval {
  private TaskEval() {}

  /** Every example of every task, clean and perturbed, scored by the model. */
  static List<Output> run(
      JavaSparkContext jsc,
      Config ec,
      String ckpt,
      String tokenizer,
      List<TaskFile.Parsed> tasks,
      List<String> perturbations,
      int partitions) {
    List<TaskFile.Item> items = withPerturbations(tasks, perturbations, ec.section("robustness"));
    if (items.isEmpty()) {
      return List.of();
    }
    return jsc.parallelize(items, Math.max(1, Math.min(partitions, items.size())))
        .mapPartitions(
            new RunTasks(
                ckpt, tokenizer, ec.getInt("max_new_tokens"), ec.getString("choice_delimiter")))
        .collect();
  }

  /** The tasks' examples, each followed (per task) by its perturbed copies. */
  private static List<TaskFile.Item> withPerturbations(
      List<TaskFile.Parsed> tasks, List<String> perturbations, Config rc) {
    List<TaskFile.Item> items = new ArrayList<>();
    for (TaskFile.Parsed t : tasks) {
      items.addAll(t.items());
      for (String p : perturbations) {
        for (TaskFile.Item it : t.items()) {
          items.add(
              it.perturbed(
                  p,
                  Perturbations.apply(
                      p,
                      it.prompt(),
                      rc.getDouble("rate"),
                      rc.getStringList("distractors"),
                      rc.getLong("seed"),
                      it.task(),
                      it.line())));
        }
      }
    }
    return items;
  }

  /** Per partition: generation (greedy) or log-likelihood choice for each task example. */
  static final class RunTasks implements FlatMapFunction<Iterator<TaskFile.Item>, Output> {
    private final String checkpoint;
    private final String tokenizer;
    private final int maxNewTokens;
    private final String delimiter;

    RunTasks(String checkpoint, String tokenizer, int maxNewTokens, String delimiter) {
      this.checkpoint = checkpoint;
      this.tokenizer = tokenizer;
      this.maxNewTokens = maxNewTokens;
      this.delimiter = delimiter;
    }

    @Override
    public Iterator<Output> call(Iterator<TaskFile.Item> items) {
      List<Output> out = new ArrayList<>();
      if (!items.hasNext()) {
        return out.iterator();
      }
      try (ModelScorer scorer = new ModelScorer(checkpoint)) {
        scorer.loadTokenizer(tokenizer);
        while (items.hasNext()) {
          out.add(score(scorer, items.next(), maxNewTokens, delimiter));
        }
      }
      return out.iterator();
    }
  }

  static Output score(ModelScorer scorer, TaskFile.Item it, int maxNewTokens, String delimiter) {
    if (TaskFile.CLASSIFICATION.equals(it.kind())) {
      int[] context = scorer.encode(it.prompt());
      int best = 0;
      double bestLl = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < it.choices().size(); c++) {
        // Encoded apart from the prompt, as the harness does, so every choice is scored on the
        // same context tokens.
        double ll = scorer.logLikelihood(context, scorer.encode(delimiter + it.choices().get(c)));
        if (ll > bestLl) {
          bestLl = ll;
          best = c;
        }
      }
      return new Output(
          it.task(),
          it.line(),
          it.kind(),
          it.prompt(),
          it.choices().get(best),
          List.of(it.choices().get(it.answer())),
          best,
          it.answer(),
          it.variant());
    }
    return new Output(
        it.task(),
        it.line(),
        it.kind(),
        it.prompt(),
        scorer.generate(it.prompt(), maxNewTokens),
        it.references(),
        -1,
        -1,
        it.variant());
  }
}
