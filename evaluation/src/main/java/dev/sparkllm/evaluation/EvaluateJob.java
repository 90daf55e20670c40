package dev.sparkllm.evaluation;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.evaluation.metrics.Bleu;
import dev.sparkllm.evaluation.metrics.Rouge;
import dev.sparkllm.evaluation.metrics.TokenMetrics;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.TokenData;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
    TokenData.Manifest manifest = TokenData.readManifest(data);
    Map<String, Object> modelConfig = readJson(Storage.join(ckpt, "config.json"));
    int modelVocab = ((Number) modelConfig.get("vocab_size")).intValue();
    int modelCtx =
        ((Number) modelConfig.getOrDefault("n_positions", modelConfig.get("n_ctx"))).intValue();
    if (modelVocab != manifest.vocabSize()) {
      throw new SparkLlmException(
          "vocabulary mismatch: checkpoint "
              + ckpt
              + " has vocab_size "
              + modelVocab
              + " (config.json) but "
              + Storage.join(data, "manifest.json")
              + " says "
              + manifest.vocabSize()
              + "; evaluate on shards made with the tokenizer the model was trained with");
    }
    List<TaskFile.Parsed> tasks = new ArrayList<>();
    for (String f : taskFiles == null ? List.<String>of() : taskFiles) {
      tasks.add(TaskFile.read(f));
    }
    String tokenizer = Storage.join(data, "tokenizer.json");
    boolean anyItems = tasks.stream().anyMatch(t -> !t.items().isEmpty());
    if (anyItems && !Storage.exists(tokenizer)) {
      throw new SparkLlmException(
          tokenizer + " is missing; task prompts need the tokenizer the data was made with");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int partitions =
        ec.getInt("partitions") > 0 ? ec.getInt("partitions") : jsc.defaultParallelism();
    List<String> warnings = new ArrayList<>();

    // ---- language-model metrics on the test split
    String split = ec.getString("test_split");
    List<String> shards = TokenData.shardFiles(data, split);
    Map<String, Object> lm = new LinkedHashMap<>();
    double ce = Double.NaN;
    double ppl = Double.NaN;
    double acc = Double.NaN;
    long tokens = 0;
    int context = Math.min(manifest.seqLen(), modelCtx);
    if (shards.isEmpty()) {
      warnings.add("no test shards under " + Storage.join(data, "tokens", "split=" + split));
    } else {
      Dataset<Row> rows =
          spark.read().parquet(Storage.join(data, "tokens", "split=" + split)).select("input_ids");
      long max = ec.getLong("max_sequences");
      if (max > 0) {
        rows = rows.limit((int) Math.min(max, Integer.MAX_VALUE));
      }
      JavaRDD<Row> rdd = rows.javaRDD();
      if (ec.getInt("partitions") > 0 || rdd.getNumPartitions() < partitions) {
        rdd = rdd.repartition(partitions);
      }
      long[] sums = {0, 0, 0}; // sequences, tokens, correct
      double nll = 0;
      for (double[] s :
          rdd.mapPartitions(
                  new ScoreRows(
                      ckpt, ec.getInt("batch_size"), manifest.seqLen(), ec.getInt("stride")))
              .collect()) {
        nll += s[0];
        sums[0] += (long) s[1];
        sums[1] += (long) s[2];
        sums[2] += (long) s[3];
      }
      tokens = sums[1];
      if (tokens == 0) {
        warnings.add("test split '" + split + "' has no rows");
      } else {
        ce = nll / tokens;
        ppl = TokenMetrics.perplexity(nll, tokens);
        acc = TokenMetrics.nextTokenAccuracy(sums[2], tokens);
      }
      lm.put("sequences", sums[0]);
    }
    lm.put("split", split);
    lm.put("tokens", tokens);
    lm.put("context_length", context);
    lm.put(
        "stride",
        manifest.seqLen() > modelCtx && ec.getInt("stride") > 0
            ? Math.min(ec.getInt("stride"), modelCtx)
            : context);
    lm.put("cross_entropy", finite(ce));
    lm.put("perplexity", finite(ppl));
    lm.put("next_token_accuracy", finite(acc));
    double baseline = UnigramBaseline.loss(spark, data, split, manifest.vocabSize());
    lm.put("unigram_baseline_cross_entropy", finite(baseline));
    lm.put("unigram_baseline_perplexity", finite(Math.exp(baseline)));

    // ---- tasks
    Config rc = ec.section("robustness");
    List<String> perturbations = rc.getStringList("perturbations");
    Perturbations.check(perturbations);
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
    List<Output> outputs = List.of();
    if (!items.isEmpty()) {
      outputs =
          jsc.parallelize(items, Math.max(1, Math.min(partitions, items.size())))
              .mapPartitions(
                  new RunTasks(
                      ckpt,
                      tokenizer,
                      ec.getInt("max_new_tokens"),
                      ec.getString("choice_delimiter")))
              .collect();
    }
    List<Map<String, Object>> taskReports = new ArrayList<>();
    for (TaskFile.Parsed t : tasks) {
      taskReports.add(taskReport(t, outputs, perturbations, ec.getBoolean("rouge_stemmer")));
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
    warnings.forEach(w -> LOG.warn("evaluate: {}", w));

    // ---- report
    JsonNode state = readJsonNode(Storage.join(ckpt, Checkpoints.STATE));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("checkpoint", Storage.qualify(ckpt));
    report.put("step", state == null ? null : state.path("step").asLong());
    report.put(
        "config_hash",
        state == null || !state.has("config_hash") ? null : state.get("config_hash").asText());
    report.put("model", modelConfig);
    report.put("data", Storage.qualify(data));
    report.put("data_manifest", readJsonNode(Storage.join(data, "manifest.json")));
    report.put("evaluate_config", ec.tree());
    report.put("language_model", lm);
    report.put("tasks", taskReports);
    report.put("warnings", warnings);
    List<Map<String, Object>> samples = samples(outputs);
    report.put("samples", samples.size());

    Storage.writeString(Storage.join(output, "report.json"), Json.write(report));
    writeSamples(output, samples);
    String runDir = runDirOf(ckpt);
    ReportWriter.writeHtml(
        Storage.join(output, "report.html"),
        report,
        runDir == null ? null : Storage.join(runDir, "metrics.jsonl"),
        samples.subList(0, Math.min(samples.size(), ec.getInt("report_samples"))));
    return new EvaluateResult(ce, ppl, acc, context, tokens, report, warnings);
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

  private static Object finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  private static Map<String, Object> readJson(String path) {
    try {
      return Json.MAPPER.readValue(Storage.readString(path), new TypeReference<>() {});
    } catch (IOException e) {
      throw new SparkLlmException(path + " is not valid JSON: " + e.getMessage());
    }
  }

  private static JsonNode readJsonNode(String path) {
    if (!Storage.exists(path)) {
      return null;
    }
    try {
      return Json.MAPPER.readTree(Storage.readString(path));
    } catch (IOException e) {
      throw new SparkLlmException(path + " is not valid JSON: " + e.getMessage());
    }
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
      Map<String, Object> robust = new LinkedHashMap<>();
      for (String p : perturbations) {
        Map<String, Double> m = metrics(t, outputs, p, stemmer);
        Map<String, Double> delta = new LinkedHashMap<>();
        m.forEach((k, v) -> delta.put(k, v - clean.get(k)));
        robust.put(p, Map.of("metrics", m, "delta", delta));
      }
      r.put("robustness", robust);
    }
    return r;
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
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (!mine.isEmpty() && TaskFile.GENERATION.equals(t.kind())) {
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
      metrics.put("bleu", bleu.score());
      metrics.put("bleu_brevity_penalty", bleu.bp());
      metrics.put("rouge1", mean.rouge1().fmeasure());
      metrics.put("rouge2", mean.rouge2().fmeasure());
      metrics.put("rougeL", mean.rougeL().fmeasure());
    } else if (!mine.isEmpty()) {
      List<String> pred = new ArrayList<>();
      List<String> gold = new ArrayList<>();
      for (Output o : mine) {
        pred.add(String.valueOf(o.predicted()));
        gold.add(String.valueOf(o.answer()));
      }
      metrics.put("accuracy", TokenMetrics.accuracy(pred, gold));
      metrics.put("macro_f1", TokenMetrics.macroF1(pred, gold));
    }
    return metrics;
  }

  private static List<Map<String, Object>> samples(List<Output> outputs) {
    List<Output> sorted = new ArrayList<>();
    for (Output o : outputs) {
      if (o.variant().equals(TaskFile.Item.CLEAN)) {
        sorted.add(o);
      }
    }
    sorted.sort(
        (a, b) ->
            a.task().equals(b.task())
                ? Integer.compare(a.line(), b.line())
                : a.task().compareTo(b.task()));
    List<Map<String, Object>> out = new ArrayList<>();
    for (Output o : sorted) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("task", o.task());
      s.put("line", o.line());
      s.put("kind", o.kind());
      s.put("prompt", o.prompt());
      s.put("output", o.output());
      s.put("reference", String.join(" || ", o.references()));
      s.put(
          "correct", o.kind().equals(TaskFile.CLASSIFICATION) ? o.predicted() == o.answer() : null);
      s.put("rating", "");
      s.put("comment", "");
      out.add(s);
    }
    return out;
  }

  static final List<String> CSV_COLUMNS =
      List.of("task", "line", "kind", "prompt", "output", "reference", "rating", "comment");

  private static void writeSamples(String output, List<Map<String, Object>> samples) {
    StringBuilder jsonl = new StringBuilder();
    StringBuilder csv = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
    for (Map<String, Object> s : samples) {
      try {
        jsonl
            .append(
                Json.MAPPER
                    .writer()
                    .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(s))
            .append('\n');
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      List<String> cells = new ArrayList<>();
      for (String c : CSV_COLUMNS) {
        cells.add(csvCell(String.valueOf(s.get(c))));
      }
      csv.append(String.join(",", cells)).append("\r\n");
    }
    Storage.writeString(Storage.join(output, "samples.jsonl"), jsonl.toString());
    Storage.writeString(Storage.join(output, "samples.csv"), csv.toString());
  }

  /** RFC 4180 quoting; a leading =,+,-,@ is prefixed with ' so spreadsheets show, not run, it. */
  static String csvCell(String v) {
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
      return "\"" + v.replace("\"", "\"\"") + "\"";
    }
    return v;
  }

  /** Per partition: [summed NLL, sequences, tokens, correct]. */
  static final class ScoreRows implements FlatMapFunction<Iterator<Row>, double[]> {
    private final String checkpoint;
    private final int batchSize;
    private final int seqLen;
    private final int stride;

    ScoreRows(String checkpoint, int batchSize, int seqLen, int stride) {
      this.checkpoint = checkpoint;
      this.batchSize = batchSize;
      this.seqLen = seqLen;
      this.stride = stride;
    }

    @Override
    public Iterator<double[]> call(Iterator<Row> rows) {
      if (!rows.hasNext()) {
        return List.<double[]>of().iterator();
      }
      double[] s = new double[4];
      try (ModelScorer scorer = new ModelScorer(checkpoint)) {
        List<int[]> batch = new ArrayList<>();
        while (rows.hasNext()) {
          List<Integer> ids = rows.next().getList(0);
          if (ids.size() != seqLen + 1) {
            throw new SparkLlmException(
                "a test row has "
                    + ids.size()
                    + " ids; manifest.json says seq_len+1 = "
                    + (seqLen + 1));
          }
          batch.add(ids.stream().mapToInt(Integer::intValue).toArray());
          if (batch.size() == batchSize || !rows.hasNext()) {
            ModelScorer.LmStats st = scorer.scoreRows(batch.toArray(new int[0][]), stride);
            s[0] += st.nll();
            s[1] += batch.size();
            s[2] += st.tokens();
            s[3] += st.correct();
            batch.clear();
          }
        }
      }
      return List.of(s).iterator();
    }
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
          out.add(run(scorer, items.next(), maxNewTokens, delimiter));
        }
      }
      return out.iterator();
    }
  }

  static Output run(ModelScorer scorer, TaskFile.Item it, int maxNewTokens, String delimiter) {
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
