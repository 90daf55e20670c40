package dev.sparkllm.evaluation;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.training.CheckpointState;
import dev.sparkllm.training.Checkpoints;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code evaluate}: language-model metrics on the test split and task metrics, as a Spark job. Test
 * rows and task examples are spread over partitions; each task loads the checkpoint once, returns
 * per-partition sums (LM) or per-example outputs (tasks), and the driver combines them. Writes
 * {@code OUT/report.json}, {@code OUT/report.html}, {@code OUT/samples.jsonl} and {@code
 * OUT/samples.csv}.
 */
public final class EvaluateJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  /** What the job measured; {@code report} is exactly what report.json holds. */
  public record EvaluateResult(
      double crossEntropy,
      double perplexity,
      double nextTokenAccuracy,
      int contextLength,
      long tokens,
      Map<String, Object> report,
      List<String> warnings) {}

  /** One scored task example: {@code output} is generated text or the chosen choice. */
  public record Output(
      String task,
      int line,
      String kind,
      String prompt,
      String output,
      List<String> references,
      int predicted,
      int answer,
      String variant)
      implements Serializable {}

  private EvaluateJob() {}

  public static EvaluateResult run(
      SparkSession spark,
      Config config,
      String checkpoint,
      String data,
      String output,
      List<String> taskFiles,
      boolean overwrite) {
    List<String> inputs = new ArrayList<>(List.of(checkpoint, data));
    if (taskFiles != null) {
      inputs.addAll(taskFiles);
    }
    try (OutputDir out = OutputDir.open("evaluate", output, overwrite, inputs)) {
      EvaluateResult r = write(spark, config, checkpoint, data, out.path(), taskFiles);
      out.commit();
      return r;
    }
  }

  private static EvaluateResult write(
      SparkSession spark,
      Config config,
      String checkpoint,
      String data,
      String output,
      List<String> taskFiles) {
    Config ec = config.section("evaluate");
    String ckpt = resolveCheckpoint(checkpoint);
    TokenManifest manifest = TokenManifest.read(data);
    Map<String, Object> modelConfig = readJson(Storage.join(ckpt, Checkpoints.HF_CONFIG));
    int modelCtx =
        ((Number) modelConfig.getOrDefault("n_positions", modelConfig.get("n_ctx"))).intValue();
    checkVocabulary(modelConfig, manifest, ckpt, data);
    List<TaskFile.Parsed> tasks = readTasks(taskFiles);
    String tokenizer = tokenizerFor(tasks, data);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int partitions =
        ec.getInt("partitions") > 0 ? ec.getInt("partitions") : jsc.defaultParallelism();
    List<String> warnings = new ArrayList<>();

    LanguageModelEval.Result lm =
        LanguageModelEval.measure(spark, ec, ckpt, data, manifest, modelCtx, partitions, warnings);

    List<String> perturbations = ec.section("robustness").getStringList("perturbations");
    Perturbations.check(perturbations);
    List<Output> outputs = TaskEval.run(jsc, ec, ckpt, tokenizer, tasks, perturbations, partitions);
    List<Map<String, Object>> taskReports =
        TaskReports.of(tasks, outputs, perturbations, ec, warnings);
    warnings.forEach(w -> LOG.warn("evaluate: {}", w));

    List<Map<String, Object>> samples = Samples.of(outputs);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("checkpoint", Storage.qualify(ckpt));
    report.putAll(checkpointState(ckpt));
    report.put("model", modelConfig);
    report.put("data", Storage.qualify(data));
    report.put("data_manifest", manifest.toJson());
    report.put("evaluate_config", ec.tree());
    report.put("language_model", lm.report());
    report.put("tasks", taskReports);
    report.put("warnings", warnings);
    report.put("samples", samples.size());
    writeReport(output, report, samples, ckpt, ec.getInt("report_samples"));
    return new EvaluateResult(
        lm.crossEntropy(),
        lm.perplexity(),
        lm.nextTokenAccuracy(),
        lm.contextLength(),
        lm.tokens(),
        report,
        warnings);
  }

  private static void checkVocabulary(
      Map<String, Object> modelConfig, TokenManifest manifest, String ckpt, String data) {
    int modelVocab = ((Number) modelConfig.get("vocab_size")).intValue();
    if (modelVocab != manifest.vocabSize()) {
      throw new SparkLlmException(
          "vocabulary mismatch: checkpoint "
              + ckpt
              + " has vocab_size "
              + modelVocab
              + " (config.json) but "
              + Storage.join(data, TokenManifest.FILE)
              + " says "
              + manifest.vocabSize()
              + "; evaluate on shards made with the tokenizer the model was trained with");
    }
  }

  private static List<TaskFile.Parsed> readTasks(List<String> taskFiles) {
    List<TaskFile.Parsed> tasks = new ArrayList<>();
    for (String f : taskFiles == null ? List.<String>of() : taskFiles) {
      tasks.add(TaskFile.read(f));
    }
    return tasks;
  }

  /** DATA/tokenizer.json, which must exist when any task has examples to encode. */
  private static String tokenizerFor(List<TaskFile.Parsed> tasks, String data) {
    String tokenizer = Storage.join(data, "tokenizer.json");
    boolean anyItems = tasks.stream().anyMatch(t -> !t.items().isEmpty());
    if (anyItems && !Storage.exists(tokenizer)) {
      throw new SparkLlmException(
          tokenizer + " is missing; task prompts need the tokenizer the data was made with");
    }
    return tokenizer;
  }

  /**
   * The report's {@code step} and {@code config_hash}, read from the checkpoint's state.json by
   * hand (both null when the file is absent): the one place evaluation looks into that record.
   */
  private static Map<String, Object> checkpointState(String ckpt) {
    // A Hugging Face GPT-2 directory has no state.json: its step and config hash are unknown.
    CheckpointState state =
        Storage.exists(Storage.join(ckpt, Checkpoints.STATE))
            ? CheckpointState.readFile(ckpt)
            : null;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", state == null ? null : state.step());
    m.put("config_hash", state == null ? null : state.configHash());
    return m;
  }

  /** report.json, samples.jsonl/csv and report.html (with the run's training curves if found). */
  private static void writeReport(
      String output,
      Map<String, Object> report,
      List<Map<String, Object>> samples,
      String ckpt,
      int reportSamples) {
    Storage.writeString(Storage.join(output, "report.json"), Json.write(report));
    Samples.write(output, samples);
    String runDir = runDirOf(ckpt);
    ReportWriter.writeHtml(
        Storage.join(output, "report.html"),
        report,
        runDir == null ? null : Storage.join(runDir, "metrics.jsonl"),
        samples.subList(0, Math.min(samples.size(), reportSamples)));
  }

  /** A step directory as is, or a run directory's {@code checkpoints/latest}. */
  static String resolveCheckpoint(String p) {
    if (Storage.exists(Storage.join(p, Checkpoints.HF_CONFIG))) {
      return p;
    }
    String latest = Storage.exists(p) ? Checkpoints.latest(p) : null;
    if (latest == null) {
      throw new SparkLlmException(
          "--checkpoint "
              + p
              + " is neither a checkpoint directory (config.json + model.safetensors) nor a run"
              + " directory with checkpoints/latest");
    }
    return latest;
  }

  /** RUN for RUN/checkpoints/step-N when it holds metrics.jsonl, else null. */
  static String runDirOf(String ckpt) {
    Path p = Storage.path(ckpt);
    if (p.getParent() == null || p.getParent().getParent() == null) {
      return null;
    }
    String run = p.getParent().getParent().toString();
    return Storage.exists(Storage.join(run, "metrics.jsonl")) ? run : null;
  }

  private static Map<String, Object> readJson(String path) {
    try {
      return Json.MAPPER.readValue(Storage.readString(path), new TypeReference<>() {});
    } catch (IOException e) {
      throw new SparkLlmException(path + " is not valid JSON: " + e.getMessage());
    }
  }
}
