package dev.sparkllm.evaluation;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.core.TokenizeMode;
import dev.sparkllm.evaluation.metrics.TokenMetrics;
import dev.sparkllm.training.TokenData;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Language-model metrics on the test split: the rows are spread over partitions, each task loads
 * the checkpoint once and returns its sums, the driver combines them; plus the unigram baseline.
 */
final class LanguageModelEval {
  private LanguageModelEval() {}

  /**
   * What was measured (NaN when there was nothing to score).
   *
   * @param report the {@code language_model} section of report.json
   */
  record Result(
      double crossEntropy,
      double perplexity,
      double nextTokenAccuracy,
      int contextLength,
      long tokens,
      Map<String, Object> report) {}

  static Result measure(
      SparkSession spark,
      Config ec,
      String ckpt,
      String data,
      TokenManifest manifest,
      int modelCtx,
      int partitions,
      List<String> warnings) {
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
      long[] sums = {0, 0, 0}; // sequences, tokens, correct
      double nll = 0;
      for (double[] s : score(spark, ec, ckpt, data, split, manifest, partitions)) {
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
    int stride = ec.getInt("stride");
    lm.put("split", split);
    lm.put("tokens", tokens);
    lm.put("context_length", context);
    lm.put(
        "stride",
        manifest.seqLen() > modelCtx && stride > 0 ? Math.min(stride, modelCtx) : context);
    lm.put("cross_entropy", finite(ce));
    lm.put("perplexity", finite(ppl));
    lm.put("next_token_accuracy", finite(acc));
    double baseline = UnigramBaseline.loss(spark, data, split, manifest.vocabSize());
    lm.put("unigram_baseline_cross_entropy", finite(baseline));
    lm.put("unigram_baseline_perplexity", finite(Math.exp(baseline)));
    return new Result(ce, ppl, acc, context, tokens, lm);
  }

  /** Per-partition sums over the test rows, see {@link ScoreRows}. */
  private static List<double[]> score(
      SparkSession spark,
      Config ec,
      String ckpt,
      String data,
      String split,
      TokenManifest manifest,
      int partitions) {
    // Padded (instruction) rows are scored on their loss_mask targets, as training counts them.
    boolean padded =
        manifest.tokenize() != null && manifest.tokenize().mode() == TokenizeMode.PADDED;
    Dataset<Row> rows = spark.read().parquet(Storage.join(data, "tokens", "split=" + split));
    if (padded && !java.util.Arrays.asList(rows.columns()).contains("loss_mask")) {
      throw new SparkLlmException(
          Storage.join(data, "tokens", "split=" + split)
              + " has no loss_mask column but manifest.json says mode padded; re-run tokenize");
    }
    rows = padded ? rows.select("input_ids", "loss_mask") : rows.select("input_ids");
    long max = ec.getLong("max_sequences");
    if (max > 0) {
      rows = rows.limit((int) Math.min(max, Integer.MAX_VALUE));
    }
    JavaRDD<Row> rdd = rows.javaRDD();
    if (ec.getInt("partitions") > 0 || rdd.getNumPartitions() < partitions) {
      rdd = rdd.repartition(partitions);
    }
    return rdd.mapPartitions(
            new ScoreRows(
                ckpt, ec.getInt("batch_size"), manifest.seqLen(), ec.getInt("stride"), padded))
        .collect();
  }

  static Object finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  /** Per partition: [summed NLL, sequences, tokens, correct]. */
  static final class ScoreRows implements FlatMapFunction<Iterator<Row>, double[]> {
    private final String checkpoint;
    private final int batchSize;
    private final int seqLen;
    private final int stride;
    private final boolean padded;

    ScoreRows(String checkpoint, int batchSize, int seqLen, int stride, boolean padded) {
      this.checkpoint = checkpoint;
      this.batchSize = batchSize;
      this.seqLen = seqLen;
      this.stride = stride;
      this.padded = padded;
    }

    @Override
    public Iterator<double[]> call(Iterator<Row> rows) {
      if (!rows.hasNext()) {
        return List.<double[]>of().iterator();
      }
      double[] s = new double[4];
      try (ModelScorer scorer = new ModelScorer(checkpoint)) {
        List<int[]> batch = new ArrayList<>();
        List<int[]> masks = new ArrayList<>();
        while (rows.hasNext()) {
          Row row = rows.next();
          List<Integer> ids = row.getList(0);
          if (ids.size() != seqLen + 1) {
            throw new SparkLlmException(
                "a test row has "
                    + ids.size()
                    + " ids; manifest.json says seq_len+1 = "
                    + (seqLen + 1));
          }
          batch.add(ids.stream().mapToInt(Integer::intValue).toArray());
          if (padded) {
            masks.add(row.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray());
          }
          if (batch.size() == batchSize || !rows.hasNext()) {
            ModelScorer.LmStats st =
                scorer.scoreRows(
                    batch.toArray(new int[0][]),
                    padded ? masks.toArray(new int[0][]) : null,
                    stride);
            s[0] += st.nll();
            s[1] += batch.size();
            s[2] += st.tokens();
            s[3] += st.correct();
            batch.clear();
            masks.clear();
          }
        }
      }
      return List.of(s).iterator();
    }
  }
}
