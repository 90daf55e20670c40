package dev.sparkllm.preprocessing.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.tokenizer.BpeTrainer;
import dev.sparkllm.preprocessing.tokenizer.ByteLevel;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import dev.sparkllm.preprocessing.tokenizer.TrainTokenizerJob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Tokenizer benchmark (not a test): trains byte-level BPE at 8k and 32k on generated text with the
 * real Spark job, then times the driver-side merging alone on ~1M distinct words, and DJL encoding
 * per core. Command and results: docs/benchmarks.md, section "Tokenizer".
 *
 * <p>Arguments: {@code --mb N} text size (default 16), {@code --out DIR} (default
 * bench-out/tokenizer), {@code --distinct-words N} for the merge-only run (default 1000000), {@code
 * --master M} (default local[*]).
 */
public final class TokenizerBenchmark {
  private TokenizerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, Object> result = runBenchmark(args);
    System.out.println(Json.write(result));
  }

  public static Map<String, Object> runBenchmark(String[] args) throws Exception {
    long mb = 16;
    String out = "bench-out/tokenizer";
    int distinct = 1_000_000;
    String master = "local[*]";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--mb" -> mb = Long.parseLong(args[i + 1]);
        case "--out" -> out = args[i + 1];
        case "--distinct-words" -> distinct = Integer.parseInt(args[i + 1]);
        case "--master" -> master = args[i + 1];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("text_mb", mb);
    result.put("cores", Runtime.getRuntime().availableProcessors());
    result.put("master", master);

    SparkSession spark =
        SparkSession.builder()
            .appName("tokenizer-benchmark")
            .master(master)
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      String data = Storage.join(out, "data");
      Storage.prepareOutputDir(data, true);
      long docs = Math.max(100, mb * 1024 * 1024 / Generator.AVG_DOC_BYTES);
      long genStart = System.nanoTime();
      spark
          .range(0, docs, 1, Math.max(2, (int) (mb / 8)))
          .map(
              (MapFunction<Long, Tuple2<Long, String>>) n -> new Tuple2<>(n, Generator.doc(n)),
              Encoders.tuple(Encoders.LONG(), Encoders.STRING()))
          .toDF("n", "text")
          .withColumn("id", col("n").cast("string"))
          .withColumn("split", when(col("n").mod(50).equalTo(0), "validation").otherwise("train"))
          .drop("n")
          .write()
          .partitionBy("split")
          .parquet(Storage.join(data, "docs"));
      result.put("generate_ms", (System.nanoTime() - genStart) / 1_000_000);

      List<Map<String, Object>> runs = new ArrayList<>();
      String lastTokenizer = null;
      for (int vocab : new int[] {8000, 32000}) {
        String tokOut = Storage.join(out, "bpe-" + vocab);
        Config c = Config.load(null, List.of("tokenizer.vocab_size=" + vocab));
        TrainTokenizerJob.Result r = TrainTokenizerJob.run(spark, c, data, tokOut, true);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab_size", r.vocabSize());
        m.put("merges", r.merges());
        m.put("train_bytes", r.trainBytes());
        m.put("distinct_pretokens", r.distinctUnits());
        m.put("counting_ms", r.countingMs());
        m.put("merging_ms", r.trainingMs());
        m.put("merges_per_s", r.merges() * 1000.0 / Math.max(1, r.trainingMs()));
        m.put("heldout_bytes_per_token", r.evalBytesPerToken());
        m.put("total_ms", r.totalMs());
        runs.add(m);
        System.out.println("bpe " + vocab + ": " + m);
        lastTokenizer = tokOut;
      }
      result.put("spark_training", runs);

      List<String> heldOut =
          spark
              .read()
              .parquet(Storage.join(data, "docs"))
              .filter(col("split").equalTo("validation"))
              .select("text")
              .limit(4000)
              .as(Encoders.STRING())
              .collectAsList();
      result.put("encode", encodeThroughput(lastTokenizer, heldOut));
    } finally {
      spark.stop();
    }
    mergeOnly(Math.min(distinct, 100_000), 32000); // JIT warm-up
    result.put("merge_only", mergeOnly(distinct, 32000));
    Json.writeFile(Storage.join(out, "results.json"), result);
    return result;
  }

  static Map<String, Object> encodeThroughput(String tokenizerDir, List<String> texts) {
    long bytes = 0;
    for (String t : texts) {
      bytes += t.getBytes(StandardCharsets.UTF_8).length;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    try (TokenEncoder enc = TokenEncoder.load(tokenizerDir)) {
      for (String t : texts.subList(0, Math.min(200, texts.size()))) {
        enc.encode(t); // warm-up
      }
      long tokens = 0;
      long start = System.nanoTime();
      for (String t : texts) {
        tokens += enc.encode(t).length;
      }
      double s = (System.nanoTime() - start) / 1e9;
      m.put("documents", texts.size());
      m.put("bytes", bytes);
      m.put("tokens", tokens);
      m.put("single_thread_tokens_per_s", tokens / s);
      m.put("single_thread_mb_per_s", bytes / s / 1e6);
      start = System.nanoTime();
      long batchTokens = 0;
      for (int i = 0; i < texts.size(); i += 64) {
        for (int[] ids : enc.encodeBatch(texts.subList(i, Math.min(texts.size(), i + 64)))) {
          batchTokens += ids.length;
        }
      }
      double sb = (System.nanoTime() - start) / 1e9;
      m.put("batch64_tokens_per_s_all_cores", batchTokens / sb);
    }
    System.out.println("encode: " + m);
    return m;
  }

  /** Driver merging alone on {@code n} distinct Zipf-counted words, {@code merges} merges. */
  static Map<String, Object> mergeOnly(int n, int merges) {
    Random rnd = new Random(11);
    Set<String> seen = new HashSet<>(n * 2);
    String[] words = new String[n];
    long[] counts = new long[n];
    int k = 0;
    while (k < n) {
      String w = (rnd.nextInt(10) < 7 ? " " : "") + Generator.word(rnd);
      if (seen.add(w)) {
        words[k] = ByteLevel.toByteLevel(w);
        counts[k] = Math.max(1, (long) (5_000_000 / Math.pow(k + 1, 1.0)));
        k++;
      }
    }
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu = mx.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    BpeTrainer.Model m =
        new BpeTrainer(List.of("<|endoftext|>", "<|pad|>"), 258 + merges, 2).train(words, counts);
    long ms = (System.nanoTime() - start) / 1_000_000;
    long cpuMs = (mx.getCurrentThreadCpuTime() - cpu) / 1_000_000;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("distinct_words", n);
    r.put("merges", m.merges().size());
    r.put("merging_ms", ms);
    // The trainer is single-threaded: CPU time is what it costs on an idle core.
    r.put("merging_cpu_ms", cpuMs);
    r.put("merges_per_s", m.merges().size() * 1000.0 / Math.max(1, ms));
    System.out.println("merge-only: " + r);
    return r;
  }

  /**
   * Deterministic pseudo-text: Zipf-distributed invented words, punctuation, numbers, a little
   * non-ASCII.
   */
  static final class Generator {
    static final int AVG_DOC_BYTES = 1500;
    private static final String[] ONSETS = {
      "", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st",
      "tr", "pl", "ch", "sh", "th", "gr", "br"
    };
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ea", "ou", "ai", "é", "ü"};
    private static final String[] CODAS = {"", "", "n", "r", "s", "t", "l", "nd", "st", "ng"};
    private static final int LEXICON = 200_000;
    private static String[] lexicon;
    private static double[] cdf;

    static String word(Random rnd) {
      int syl = 1 + rnd.nextInt(4);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < syl; i++) {
        sb.append(ONSETS[rnd.nextInt(ONSETS.length)])
            .append(VOWELS[rnd.nextInt(rnd.nextInt(10) < 8 ? 8 : VOWELS.length)])
            .append(CODAS[rnd.nextInt(CODAS.length)]);
      }
      return sb.toString();
    }

    private static synchronized void init() {
      if (lexicon != null) {
        return;
      }
      Random rnd = new Random(1);
      String[] lex = new String[LEXICON];
      double[] c = new double[LEXICON];
      double total = 0;
      for (int i = 0; i < LEXICON; i++) {
        lex[i] = word(rnd);
        total += 1.0 / Math.pow(i + 1, 1.07);
        c[i] = total;
      }
      for (int i = 0; i < LEXICON; i++) {
        c[i] /= total;
      }
      cdf = c;
      lexicon = lex;
    }

    private static String pick(Random rnd) {
      double u = rnd.nextDouble();
      int lo = 0;
      int hi = LEXICON - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lexicon[lo];
    }

    static String doc(long id) {
      init();
      Random rnd = new Random(id * 0x9E3779B97F4A7C15L + 17);
      StringBuilder sb = new StringBuilder();
      int sentences = 1 + rnd.nextInt(2 * AVG_DOC_BYTES / 90);
      for (int s = 0; s < sentences; s++) {
        int words = 4 + rnd.nextInt(16);
        for (int w = 0; w < words; w++) {
          String word = rnd.nextInt(40) == 0 ? Integer.toString(rnd.nextInt(10_000)) : pick(rnd);
          if (w == 0) {
            word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
          } else {
            sb.append(' ');
          }
          sb.append(word);
          if (w < words - 1 && rnd.nextInt(12) == 0) {
            sb.append(',');
          }
        }
        int end = rnd.nextInt(20);
        sb.append(end == 0 ? "?" : end == 1 ? "!" : end == 2 ? " 😀." : ".");
        sb.append(rnd.nextInt(6) == 0 ? "\n\n" : " ");
      }
      return sb.toString().strip();
    }
  }
}
