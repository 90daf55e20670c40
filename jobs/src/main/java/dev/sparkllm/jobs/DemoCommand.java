package dev.sparkllm.jobs;

import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.evaluation.UnigramBaseline;
import dev.sparkllm.jobs.demo.BrownGenreTask;
import dev.sparkllm.jobs.pipeline.PipelineRunner;
import dev.sparkllm.training.Generator;
import dev.sparkllm.training.model.Gpt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The README's main command: the whole pipeline in local mode on the bundled Brown corpus, ending
 * with the validation loss against a unigram baseline and a few generated samples.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run preprocess → train-tokenizer → tokenize → train → generate on the bundled Brown"
          + " corpus with conf/demo.yaml (about 10 minutes on 2 cores).",
      "A rerun skips the stages already complete for the same settings (--fresh reruns all)."
    })
final class DemoCommand implements Callable<Integer> {
  static final List<String> PROMPTS =
      List.of("The jury said", "In the morning", "The President of the United States");

  @Option(names = "--output", defaultValue = "out/demo", paramLabel = "DIR")
  String output;

  @Option(
      names = "--input",
      paramLabel = "PATH",
      description = "The corpus (default: the bundled Brown corpus, data/brown/brown.jsonl.gz).")
  String input;

  @Option(
      names = "--fresh",
      description = "Rerun every stage (default: skip stages already complete for these settings).")
  boolean fresh;

  @Option(
      names = "--finetune",
      description =
          "Then adapt the pretrained model to the Brown genre task (sft, lora, dpo) and compare"
              + " accuracy and macro-F1 with the base; pretraining leaves those documents out.")
  boolean finetune;

  @Mixin JobOptions job;

  @Override
  public Integer call() throws Exception {
    if (job.config == null) {
      job.config = Home.root().resolve("conf/demo.yaml").toString();
    }
    // The demo trains 2 replicas, which need 2 task slots even on a 1-core machine.
    job.defaultMaster = "local[2]";
    return job.withSpark(
        (cfg, spark) -> {
          String corpus = input != null ? input : Home.brownCorpus().toString();
          Map<String, Object> summary;
          if (finetune) {
            BrownGenreTask.Result task =
                BrownGenreTask.build(
                    corpus, Storage.join(output, "genre"), BrownGenreTask.Options.defaults());
            stage(
                "genre task: "
                    + task.summary().get("sft_examples")
                    + " SFT examples, "
                    + task.summary().get("eval_items")
                    + " held-out passages");
            summary = run(spark, cfg, task.pretrain(), output, fresh);
            summary.put(
                "finetune",
                DemoFinetune.run(
                    spark,
                    extra -> {
                      List<String> all = new ArrayList<>(extra);
                      all.addAll(job.overrides);
                      return Config.load(job.config, all);
                    },
                    task,
                    output));
          } else {
            summary = run(spark, cfg, corpus, output, fresh);
          }
          Storage.writeString(Storage.join(output, "summary.json"), Json.write(summary));
          print(summary);
          return 0;
        });
  }

  static Map<String, Object> run(
      SparkSession spark, Config cfg, String corpus, String output, boolean fresh) {
    if (!cfg.getStringList("pipeline.stages").containsAll(PipelineRunner.STAGES)) {
      // The demo samples from the trained model and reports the evaluation: it needs them all.
      throw new SparkLlmException(
          "demo runs every stage, but pipeline.stages is "
              + cfg.getStringList("pipeline.stages")
              + "; remove that setting, or use 'pipeline' to run a subset of the stages");
    }
    stage("preprocess → train-tokenizer → tokenize → train → evaluate on " + corpus);
    PipelineRunner.Result p =
        PipelineRunner.run(spark, cfg, List.of(corpus), output, fresh ? "preprocess" : null);
    Map<String, Object> s = new LinkedHashMap<>(p.summary());
    s.put("stages", p.status());
    @SuppressWarnings("unchecked")
    Map<String, Object> train = new LinkedHashMap<>((Map<String, Object>) s.get("train"));
    String tokens = PipelineRunner.dir(output, "tokenize");
    String tok = PipelineRunner.dir(output, "train-tokenizer");
    int vocab = ((Number) ((Map<?, ?>) s.get("train-tokenizer")).get("vocab_size")).intValue();
    double baseline = UnigramBaseline.loss(spark, tokens, "validation", vocab);
    train.put("unigram_baseline_loss", baseline);
    train.put("unigram_baseline_perplexity", Math.exp(baseline));
    s.put("train", train);

    stage("generate");
    Map<String, String> samples = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Generator.load(manager, (String) train.get("checkpoint"));
      String tokJson = Storage.join(tok, "tokenizer.json");
      long seed = 0;
      for (String prompt : PROMPTS) {
        samples.put(
            prompt,
            prompt
                + Generator.generateText(
                    model,
                    tokJson,
                    prompt,
                    new Generator.Options(40, 0.8, 40, 0.95, seed++, -1, true)));
      }
    }
    s.put("samples", samples);
    s.put("output", output);
    return s;
  }

  private static void stage(String what) {
    System.out.println("demo: " + what);
  }

  @SuppressWarnings("unchecked")
  private static void print(Map<String, Object> s) {
    Map<String, Object> train = (Map<String, Object>) s.get("train");
    System.out.println();
    System.out.println("demo finished: " + s.get("output"));
    System.out.println("  stages:     " + s.get("stages"));
    System.out.println("  preprocess: " + s.get("preprocess"));
    System.out.println("  tokenizer:  " + s.get("train-tokenizer"));
    System.out.println("  tokenize:   " + s.get("tokenize"));
    System.out.printf(
        "  train: %s steps, validation loss %.3f (perplexity %.1f) vs unigram baseline %.3f"
            + " (perplexity %.1f)%n",
        train.get("steps"),
        (double) train.get("val_loss"),
        (double) train.get("val_perplexity"),
        (double) train.get("unigram_baseline_loss"),
        (double) train.get("unigram_baseline_perplexity"));
    Map<String, Object> eval = (Map<String, Object>) s.get("evaluate");
    System.out.printf(
        "  test split: loss %.3f, perplexity %.1f, next-token accuracy %.3f (context %s)%n",
        (double) eval.get("test_loss"),
        (double) eval.get("test_perplexity"),
        (double) eval.get("next_token_accuracy"),
        eval.get("context_length"));
    System.out.println("  metrics:    " + train.get("metrics"));
    System.out.println("  report:     " + eval.get("report"));
    System.out.println("  checkpoint: " + train.get("checkpoint"));
    System.out.println("  samples:");
    ((Map<String, String>) s.get("samples"))
        .forEach((k, v) -> System.out.println("    " + v.replace('\n', ' ')));
    Map<String, Map<String, Object>> ft = (Map<String, Map<String, Object>>) s.get("finetune");
    if (ft != null) {
      System.out.println("  genre task (held-out passages, 15 genres, log-likelihood choice):");
      System.out.printf("    %-6s %9s %9s %15s%n", "model", "accuracy", "macro-F1", "test ppl");
      ft.forEach(
          (m, r) ->
              System.out.printf(
                  "    %-6s %9.3f %9.3f %15.1f%n",
                  m,
                  ((Number) r.get("accuracy")).doubleValue(),
                  ((Number) r.get("macro_f1")).doubleValue(),
                  ((Number) r.get("test_perplexity")).doubleValue()));
    }
  }
}
