package dev.sparkllm.preprocessing.tokenizer;

import static org.apache.spark.sql.functions.col;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * train-tokenizer: counts units of the train split with Spark (one hash map per partition, then
 * {@code reduceByKey}), learns the vocabulary on the driver, writes {@code OUT/tokenizer.json},
 * {@code OUT/stats.json} and {@code OUT/config.yaml}, then encodes the evaluation split with DJL to
 * report bytes per token.
 */
public final class TrainTokenizerJob {
  private TrainTokenizerJob() {}

  /** What the job did; also written (snake_case) to stats.json. */
  public record Result(
      String type,
      int vocabSize,
      int merges,
      long trainDocuments,
      long trainBytes,
      long distinctUnits,
      long trainTokens,
      long evalDocuments,
      long evalBytes,
      long evalTokens,
      double evalBytesPerToken,
      long countingMs,
      long trainingMs,
      long evalMs,
      long totalMs,
      String tokenizerPath,
      String tokenizerSha256) {}

  /** A trained tokenizer before it is written. */
  public record Trained(String json, int vocabSize, int merges, long tokens, long trainingMs) {}

  public static Result run(
      SparkSession spark, Config config, String input, String output, boolean overwrite) {
    try (OutputDir out = OutputDir.open("train-tokenizer", output, overwrite, List.of(input))) {
      Result r = write(spark, config, input, out.path(), output);
      out.commit();
      return r;
    }
  }

  /** Writes under {@code output}; the result names files as they will be under {@code shown}. */
  private static Result write(
      SparkSession spark, Config config, String input, String output, String shown) {
    long start = System.nanoTime();
    TokenizerSettings s = TokenizerSettings.from(config.section("tokenizer"));
    Dataset<Row> docs = DocsInput.read(spark, input, "text", "split");

    JavaRDD<String> texts =
        DocsInput.split(docs, s.trainSplit()).select(col("text")).as(Encoders.STRING()).javaRDD();
    String type = s.type();
    List<String> specials = new ArrayList<>(s.specialTokens());
    int partitions =
        s.countPartitions() > 0 ? s.countPartitions() : spark.sparkContext().defaultParallelism();
    JavaPairRDD<String, Long> counted =
        texts
            .mapPartitionsToPair(it -> PreTokenCounter.countPartition(it, type, specials))
            .reduceByKey(Long::sum, partitions);
    Map<String, Long> counts = new HashMap<>();
    for (Tuple2<String, Long> t : counted.collect()) {
      counts.put(t._1(), t._2());
    }
    long trainDocs = counts.getOrDefault(PreTokenCounter.STAT_DOCS, 0L);
    long trainBytes = counts.getOrDefault(PreTokenCounter.STAT_BYTES, 0L);
    if (trainDocs == 0) {
      throw new SparkLlmException(
          "split '"
              + s.trainSplit()
              + "' under "
              + DocsInput.docsPath(input)
              + " has no documents; run preprocess first or set tokenizer.train_split");
    }
    long countingMs = (System.nanoTime() - start) / 1_000_000;

    Trained trained = train(s, counts);
    String tokenizerPath = Storage.join(output, "tokenizer.json");
    Storage.writeString(tokenizerPath, trained.json());

    long evalStart = System.nanoTime();
    // Loading it here proves DJL accepts the file before anything downstream depends on it.
    try (TokenEncoder enc = TokenEncoder.fromJson(trained.json())) {
      String probe = "Hello, world! 12 ünïcödé 😀";
      if ("bpe".equals(type) && !enc.decode(enc.encode(probe)).equals(probe)) {
        throw new IllegalStateException("byte-level round trip failed on the written tokenizer");
      }
    }
    long[] eval = {0, 0, 0};
    if (!s.evalSplit().isEmpty()) {
      eval = evaluate(spark, docs, s.evalSplit(), trained.json());
    }
    long evalMs = (System.nanoTime() - evalStart) / 1_000_000;
    long totalMs = (System.nanoTime() - start) / 1_000_000;

    Result r =
        new Result(
            type,
            trained.vocabSize(),
            trained.merges(),
            trainDocs,
            trainBytes,
            counts.keySet().stream().filter(k -> !PreTokenCounter.isStat(k)).count(),
            trained.tokens(),
            eval[0],
            eval[1],
            eval[2],
            eval[2] == 0 ? 0.0 : (double) eval[1] / eval[2],
            countingMs,
            trained.trainingMs(),
            evalMs,
            totalMs,
            Storage.join(shown, "tokenizer.json"),
            Hashing.sha256Hex(trained.json().getBytes(StandardCharsets.UTF_8)));
    Json.writeFile(Storage.join(output, "stats.json"), stats(r, s));
    Storage.writeString(Storage.join(output, "config.yaml"), config.toMaskedYaml());
    return r;
  }

  /** Learns the vocabulary from unit counts (stat keys ignored). Driver-only, no Spark. */
  public static Trained train(TokenizerSettings s, Map<String, Long> counts) {
    long start = System.nanoTime();
    List<String> keys = new ArrayList<>(counts.size());
    for (String k : counts.keySet()) {
      if (!PreTokenCounter.isStat(k)) {
        keys.add(k);
      }
    }
    // Sorted so the trainer sees the same word order on every run (results do not depend on it,
    // but identical inputs make profiles and debugging reproducible).
    Collections.sort(keys);
    if ("bpe".equals(s.type())) {
      String[] words = keys.toArray(new String[0]);
      long[] c = new long[words.length];
      for (int i = 0; i < words.length; i++) {
        c[i] = counts.get(words[i]);
      }
      BpeTrainer.Model m =
          new BpeTrainer(s.specialTokens(), s.vocabSize(), s.minFrequency()).train(words, c);
      String json = TokenizerJson.byteLevelBpe(m.vocab(), m.merges(), s.specialTokens());
      return new Trained(json, m.vocab().size(), m.merges().size(), m.tokens(), ms(start));
    }
    List<String> vocab = new ArrayList<>();
    for (String sp : s.specialTokens()) {
      if (!vocab.contains(sp)) {
        vocab.add(sp);
      }
    }
    if (!vocab.contains(s.unkToken())) {
      vocab.add(s.unkToken());
    }
    // Most frequent first, ties by the unit itself, so ids are stable and frequent units are small.
    keys.sort(
        (a, b) -> {
          int byCount = Long.compare(counts.get(b), counts.get(a));
          return byCount != 0 ? byCount : a.compareTo(b);
        });
    long tokens = 0;
    java.util.Set<String> inVocab = new java.util.HashSet<>(vocab);
    for (String k : keys) {
      long c = counts.get(k);
      tokens += c;
      if (vocab.size() < s.vocabSize() && c >= Math.max(1, s.minFrequency()) && inVocab.add(k)) {
        vocab.add(k);
      }
    }
    String json =
        "char".equals(s.type())
            ? TokenizerJson.charLevel(vocab, s.specialTokens(), s.unkToken())
            : TokenizerJson.wordLevel(vocab, s.specialTokens(), s.unkToken());
    return new Trained(json, vocab.size(), 0, tokens, ms(start));
  }

  /** (documents, UTF-8 bytes, tokens) of a split, encoded with DJL on the executors. */
  static long[] evaluate(SparkSession spark, Dataset<Row> docs, String split, String json) {
    Broadcast<String> tok = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(json);
    JavaRDD<String> texts =
        DocsInput.split(docs, split).select(col("text")).as(Encoders.STRING()).javaRDD();
    return texts
        .mapPartitions((Iterator<String> it) -> evalPartition(it, tok.value()))
        .fold(new long[] {0, 0, 0}, TrainTokenizerJob::sum3);
  }

  private static Iterator<long[]> evalPartition(Iterator<String> it, String json) {
    long[] acc = {0, 0, 0};
    if (!it.hasNext()) {
      return List.of(acc).iterator();
    }
    try (TokenEncoder enc = TokenEncoder.fromJson(json)) {
      List<String> batch = new ArrayList<>(64);
      while (it.hasNext()) {
        String t = it.next();
        if (t == null) {
          continue;
        }
        batch.add(t);
        if (batch.size() == 64) {
          int[][] ids = enc.encodeBatch(batch);
          for (int i = 0; i < ids.length; i++) {
            acc[0]++;
            acc[1] += ByteLevel.sanitize(batch.get(i)).getBytes(StandardCharsets.UTF_8).length;
            acc[2] += ids[i].length;
          }
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        int[][] ids = enc.encodeBatch(batch);
        for (int i = 0; i < ids.length; i++) {
          acc[0]++;
          acc[1] += ByteLevel.sanitize(batch.get(i)).getBytes(StandardCharsets.UTF_8).length;
          acc[2] += ids[i].length;
        }
      }
    }
    return List.of(acc).iterator();
  }

  private static long[] sum3(long[] a, long[] b) {
    return new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
  }

  private static long ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static Map<String, Object> stats(Result r, TokenizerSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", r.type());
    m.put("vocab_size", r.vocabSize());
    m.put("vocab_size_requested", s.vocabSize());
    m.put("merges", r.merges());
    m.put("min_frequency", s.minFrequency());
    m.put("special_tokens", s.specialTokens());
    m.put("train_split", s.trainSplit());
    m.put("train_documents", r.trainDocuments());
    m.put("train_bytes", r.trainBytes());
    m.put("distinct_units", r.distinctUnits());
    m.put("train_tokens", r.trainTokens());
    m.put(
        "train_bytes_per_token",
        r.trainTokens() == 0 ? 0.0 : (double) r.trainBytes() / r.trainTokens());
    m.put("eval_split", s.evalSplit());
    m.put("eval_documents", r.evalDocuments());
    m.put("eval_bytes", r.evalBytes());
    m.put("eval_tokens", r.evalTokens());
    m.put("eval_bytes_per_token", r.evalBytesPerToken());
    m.put("counting_ms", r.countingMs());
    m.put("training_ms", r.trainingMs());
    m.put("eval_ms", r.evalMs());
    m.put("total_ms", r.totalMs());
    m.put("tokenizer_sha256", r.tokenizerSha256());
    return m;
  }
}
