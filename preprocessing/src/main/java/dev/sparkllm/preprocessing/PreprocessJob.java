package dev.sparkllm.preprocessing;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.HadoopConf;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.readers.FileDocumentReader;
import dev.sparkllm.preprocessing.readers.InputFile;
import dev.sparkllm.preprocessing.readers.RawDoc;
import dev.sparkllm.preprocessing.steps.DocumentStep;
import dev.sparkllm.preprocessing.steps.StepRegistry;
import dev.sparkllm.preprocessing.steps.pii.PiiRedactor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * raw corpora → clean, deduplicated, anonymized, split Parquet. Reads, runs the per-document steps
 * (one pass), then the whole-dataset stages (exact dedup, near dedup, split), writes {@code
 * docs/split=*}, {@code rejected/}, {@code stats.json} and {@code config.yaml}, and checks that
 * every input document is either kept or rejected with a reason.
 */
public final class PreprocessJob {
  private static final Logger LOG = LoggerFactory.getLogger(PreprocessJob.class);

  /** What the job did; {@code stats} is what stats.json holds. */
  public record Result(long input, long kept, long rejected, PreprocessStats stats) {}

  private PreprocessJob() {}

  public static Result run(
      SparkSession spark, Config config, List<String> inputs, String output, boolean overwrite) {
    try (OutputDir out = OutputDir.open("preprocess", output, overwrite, inputs)) {
      Result r = write(spark, config, inputs, out.path());
      out.commit();
      return r;
    }
  }

  private static Result write(
      SparkSession spark, Config config, List<String> inputs, String output) {
    long t0 = System.nanoTime();
    Config pre = config.section("preprocess");
    List<DocumentStep> steps = StepRegistry.fromConfig(pre);
    FileDocumentReader reader = new FileDocumentReader(pre.section("reader"));
    List<InputFile> files = listInputs(inputs, pre.getString("reader.format"));

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<HadoopConf> conf = jsc.broadcast(HadoopConf.of(Storage.hadoopConf()));
    Map<String, LongAccumulator> nanos = new LinkedHashMap<>();
    for (DocumentStep s : steps) {
      nanos.put(s.name(), spark.sparkContext().longAccumulator("step." + s.name()));
    }
    int slices =
        Math.max(
            1,
            Math.min(
                files.size(),
                spark.sparkContext().defaultParallelism() * pre.getInt("partitions_per_core")));
    StepRunner runner = new StepRunner(steps, nanos, reader.maxDocChars());
    JavaRDD<RawDoc> raw =
        jsc.parallelize(files, slices).flatMap(f -> reader.read(f, conf.value().get()));
    JavaRDD<Row> rows = raw.mapPartitions(runner::run);
    Dataset<Row> processed =
        spark.createDataFrame(rows, StepRunner.SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());

    checkUniqueIds(processed);
    long input = processed.count();
    Dataset<Row> kept =
        processed
            .filter(col("step").isNull())
            .select("id", "source", "text", "lang", "lang_confidence", "n_chars");
    List<Dataset<Row>> rejectedParts = new ArrayList<>();
    rejectedParts.add(
        processed
            .filter(col("step").isNotNull())
            .select(
                col("id"), col("source"), col("step"), col("reason"), col("text"), col("detail"))
            .withColumn("duplicate_of", lit(null).cast("string")));

    List<PreprocessStats.Step> stepStats = perDocumentStats(processed, steps, nanos, input);

    WholeDatasetStages.Outcome after = WholeDatasetStages.run(pre, kept, stepStats);
    rejectedParts.addAll(after.rejected());
    Dataset<Row> rejected = rejectedParts.get(0);
    for (int i = 1; i < rejectedParts.size(); i++) {
      rejected = rejected.unionByName(rejectedParts.get(i), true);
    }
    int prefix = pre.getInt("rejected_prefix_chars");
    PiiRedactor pii = RejectedText.redactorOf(steps);
    rejected =
        rejected
            .withColumn("text_prefix", RejectedText.prefix(col("text"), prefix, pii))
            .withColumn("detail", RejectedText.redacted(col("detail"), pii))
            .select("id", "source", "step", "reason", "text_prefix", "duplicate_of", "detail");

    String docsDir = Storage.join(output, "docs");
    String rejectedDir = Storage.join(output, "rejected");
    after.docs().sortWithinPartitions("split", "id").write().partitionBy("split").parquet(docsDir);
    rejected.sortWithinPartitions("step", "id").write().parquet(rejectedDir);

    // Counts from what was written, not from what was meant to be written.
    // An explicit schema also reads an output with no rows (Spark writes no part files then).
    long keptWritten = spark.read().schema(after.docs().schema()).parquet(docsDir).count();
    long rejectedWritten = spark.read().schema(rejected.schema()).parquet(rejectedDir).count();
    Map<String, Long> redactions = redactionTotals(processed, spark);
    after.release();
    processed.unpersist();

    reconcile(input, keptWritten, rejectedWritten, stepStats);
    PreprocessStats stats =
        new PreprocessStats(
            inputStats(files, input),
            stepStats,
            redactions,
            after.languages(),
            after.splitCounts(),
            new PreprocessStats.Output(keptWritten, rejectedWritten),
            true,
            round((System.nanoTime() - t0) / 1e9),
            config.hash());
    stats.write(output);
    Storage.writeString(Storage.join(output, "config.yaml"), config.toMaskedYaml());
    LOG.info(
        "preprocess: {} documents in, {} kept, {} rejected → {}",
        input,
        keptWritten,
        rejectedWritten,
        output);
    return new Result(input, keptWritten, rejectedWritten, stats);
  }

  static List<InputFile> listInputs(List<String> inputs, String format) {
    List<InputFile> out = new ArrayList<>();
    for (String in : inputs) {
      String root = rootOf(in);
      for (String f : Storage.expandInputs(List.of(in))) {
        String rel = relative(root, f);
        InputFile.Format fmt = "auto".equals(format) ? InputFile.formatOf(f) : parseFormat(format);
        if (fmt == null) {
          throw new SparkLlmException(
              "cannot tell the format of "
                  + f
                  + " from its extension; use .txt/.jsonl/.parquet (optionally .gz/.bz2/.zst) or"
                  + " set preprocess.reader.format to text, jsonl or parquet");
        }
        out.add(new InputFile(f, rel, fmt, InputFile.compressionOf(f)));
      }
    }
    return out;
  }

  private static InputFile.Format parseFormat(String format) {
    switch (format) {
      case "text":
        return InputFile.Format.TEXT;
      case "jsonl":
        return InputFile.Format.JSONL;
      case "parquet":
        return InputFile.Format.PARQUET;
      default:
        throw new SparkLlmException(
            "config key 'preprocess.reader.format' must be auto, text, jsonl or parquet, got '"
                + format
                + "'");
    }
  }

  /** The part of an input argument before any glob character, qualified. */
  private static String rootOf(String in) {
    String q = Storage.qualify(in.replaceAll("[*?\\[{].*$", "x"));
    int glob = in.matches(".*[*?\\[{].*") ? q.lastIndexOf('/') : -1;
    if (glob >= 0) {
      return q.substring(0, glob);
    }
    try {
      Path p = new Path(q);
      FileStatus st = Storage.fs(p).getFileStatus(p);
      return st.isDirectory() ? q : p.getParent().toString();
    } catch (java.io.IOException e) {
      return new Path(q).getParent().toString();
    }
  }

  private static String relative(String root, String file) {
    String r = root.endsWith("/") ? root : root + "/";
    return file.startsWith(r) ? file.substring(r.length()) : new Path(file).getName();
  }

  private static void checkUniqueIds(Dataset<Row> processed) {
    List<Row> dups =
        processed.groupBy("id").count().filter(col("count").gt(1)).limit(3).collectAsList();
    if (!dups.isEmpty()) {
      List<String> ids = new ArrayList<>();
      dups.forEach(r -> ids.add(r.getString(0)));
      throw new SparkLlmException(
          "input has duplicate document ids (e.g. "
              + String.join(", ", ids)
              + "); make the id field unique or set preprocess.reader.jsonl_id_field=null to derive"
              + " ids from file and position");
    }
  }

  private static List<PreprocessStats.Step> perDocumentStats(
      Dataset<Row> processed,
      List<DocumentStep> steps,
      Map<String, LongAccumulator> nanos,
      long input) {
    Map<String, Map<String, Long>> rejectedBy = new HashMap<>();
    for (Row r :
        processed
            .filter(col("step").isNotNull())
            .groupBy("step", "reason")
            .count()
            .collectAsList()) {
      rejectedBy
          .computeIfAbsent(r.getString(0), k -> new TreeMap<>())
          .put(r.getString(1), r.getLong(2));
    }
    Map<String, Long> changed = new HashMap<>();
    for (Row r :
        processed.select(explode(col("changed_by")).as("s")).groupBy("s").count().collectAsList()) {
      changed.put(r.getString(0), r.getLong(1));
    }
    List<PreprocessStats.Step> out = new ArrayList<>();
    long in = input;
    List<String> names = new ArrayList<>();
    names.add(StepRunner.READ_STEP);
    steps.forEach(s -> names.add(s.name()));
    for (String name : names) {
      Map<String, Long> rej = rejectedBy.getOrDefault(name, new TreeMap<>());
      boolean read = name.equals(StepRunner.READ_STEP);
      PreprocessStats.Step s =
          PreprocessStats.Step.of(
              name,
              in,
              rej,
              read ? null : changed.getOrDefault(name, 0L),
              read ? null : round(nanos.get(name).value() / 1e9),
              null);
      out.add(s);
      in = s.out();
    }
    return out;
  }

  private static Map<String, Long> redactionTotals(Dataset<Row> processed, SparkSession spark) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r :
        processed
            .select(explode(col("redactions")).as(new String[] {"type", "n"}))
            .groupBy("type")
            .sum("n")
            .collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  private static PreprocessStats.Input inputStats(List<InputFile> files, long docs) {
    long bytes = 0;
    for (InputFile f : files) {
      Path p = new Path(f.path);
      try {
        bytes += Storage.fs(p).getFileStatus(p).getLen();
      } catch (java.io.IOException e) {
        throw new SparkLlmException("cannot stat " + f.path + ": " + e.getMessage());
      }
    }
    return new PreprocessStats.Input(files.size(), bytes, docs);
  }

  private static void reconcile(
      long input, long kept, long rejected, List<PreprocessStats.Step> steps) {
    if (input != kept + rejected) {
      throw new IllegalStateException(
          "counts do not reconcile: input "
              + input
              + " != kept "
              + kept
              + " + rejected "
              + rejected);
    }
    long expectIn = input;
    for (PreprocessStats.Step s : steps) {
      if (s.in() != expectIn || s.in() != s.out() + s.rejected()) {
        throw new IllegalStateException("step " + s.name() + " does not reconcile: " + s);
      }
      expectIn = s.out();
    }
    if (expectIn != kept) {
      throw new IllegalStateException("last step out " + expectIn + " != kept " + kept);
    }
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
