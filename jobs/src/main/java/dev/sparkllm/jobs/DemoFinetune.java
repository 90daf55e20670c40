package dev.sparkllm.jobs;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Storage;
import dev.sparkllm.evaluation.EvaluateJob;
import dev.sparkllm.jobs.demo.BrownGenreTask;
import dev.sparkllm.jobs.finetune.BaseModel;
import dev.sparkllm.jobs.finetune.FinetuneJob;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import dev.sparkllm.training.TrainResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/**
 * {@code demo --finetune}: after pretraining on the Brown documents the genre task holds out, adapt
 * the pretrained model to that task with each method (sft, lora, dpo) and score the base and the
 * three results on passages from documents neither pretraining nor fine-tuning saw: accuracy and
 * macro-F1 of the genre chosen by log-likelihood, as {@code evaluate --tasks} does.
 */
final class DemoFinetune {
  /** Method → its settings on top of conf/demo.yaml: short runs sized for a 2-core laptop. */
  static final Map<String, List<String>> METHODS =
      Map.of(
          "sft",
          List.of("training.learning_rate=1.0e-3", "training.min_lr=1.0e-4"),
          "lora",
          List.of(
              "training.learning_rate=3.0e-3", "training.min_lr=3.0e-4", "finetune.lora.rank=8"),
          "dpo",
          List.of(
              "training.learning_rate=3.0e-4", "training.min_lr=3.0e-5", "finetune.dpo.beta=0.1"));

  static final List<String> ORDER = List.of("sft", "lora", "dpo");

  private DemoFinetune() {}

  /**
   * @param configWith the demo's config with extra {@code key=value} settings ahead of the user's
   *     own --set (so those still win)
   */
  static Map<String, Object> run(
      SparkSession spark,
      Function<List<String>, Config> configWith,
      BrownGenreTask.Result task,
      String output) {
    String pretrained = PipelineRunner.dir(output, "train");
    String tokens = PipelineRunner.dir(output, "tokenize");
    Config base = configWith.apply(List.of());
    Map<String, Object> table = new LinkedHashMap<>();
    table.put("base", score(spark, base, pretrained, tokens, task, output, "base"));
    BaseModel model = BaseModel.resolve(pretrained, null);
    for (String method : ORDER) {
      System.out.println("demo: finetune --method " + method + " on the genre task");
      List<String> settings =
          new ArrayList<>(
              model.overrides(
                  base.getString("tokenize.eos_token"), base.getString("tokenize.pad_token")));
      settings.add("finetune.method=" + method);
      settings.add("training.max_steps=200");
      settings.add("training.warmup_steps=10");
      settings.add("training.eval_interval=50");
      settings.add("training.checkpoint_interval=100");
      settings.addAll(METHODS.get(method));
      Config c = configWith.apply(settings);
      String data = method.equals("dpo") ? task.dpo() : task.sft();
      String run = Storage.join(output, "finetune", method);
      if (Storage.exists(run)) {
        // A rerun of the demo retrains from the (possibly new) base rather than resuming.
        Storage.delete(run);
      }
      TrainResult r = FinetuneJob.run(spark, c, model, List.of(data), run, false, false);
      Map<String, Object> row = score(spark, base, run, tokens, task, output, method);
      row.put("steps", r.finalStep());
      row.put("best_val_loss", r.bestValLoss());
      table.put(method, row);
    }
    return table;
  }

  /** Genre accuracy and macro-F1 of {@code checkpoint}, and its perplexity on the test split. */
  private static Map<String, Object> score(
      SparkSession spark,
      Config cfg,
      String checkpoint,
      String tokens,
      BrownGenreTask.Result task,
      String output,
      String name) {
    String out = Storage.join(output, "finetune", "eval-" + name);
    EvaluateJob.EvaluateResult e =
        EvaluateJob.run(spark, cfg, checkpoint, tokens, out, List.of(task.eval()), true);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> tasks = (List<Map<String, Object>>) e.report().get("tasks");
    @SuppressWarnings("unchecked")
    Map<String, Object> metrics = (Map<String, Object>) tasks.get(0).get("metrics");
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("accuracy", metrics.get("accuracy"));
    row.put("macro_f1", metrics.get("macro_f1"));
    row.put("test_perplexity", e.perplexity());
    row.put("report", Storage.join(out, "report.json"));
    return row;
  }
}
