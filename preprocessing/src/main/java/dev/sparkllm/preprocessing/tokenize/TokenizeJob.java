package dev.sparkllm.preprocessing.tokenize;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.core.TokenizeMode;
import dev.sparkllm.preprocessing.tokenizer.DocsInput;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * tokenize: documents (or prompt/response examples) → token id rows in Parquet, {@code
 * OUT/tokens/split=<name>/part-*.parquet}, plus {@code OUT/manifest.json}, {@code
 * OUT/tokenizer.json} (the tokenizer used, for training to pick up) and {@code OUT/config.yaml}.
 *
 * <p><b>Determinism.</b> Each document gets a key {@code xxhash64(seed, id)}; rows are hash
 * partitioned on that key into a fixed number of shards and sorted by (key, id) inside each, so
 * which shard a document lands in and its position there depend only on the seed, the ids and the
 * shard count — not on how the input files were split or how many cores ran. Same input, seed and
 * shard count → byte-identical shard files (Spark names them with a per-write UUID, so compare by
 * part number).
 *
 * <p><b>Rows.</b> Both modes store {@code seq_len + 1} ids per row so the trainer cuts inputs
 * {@code [:-1]} and targets {@code [1:]} the same way. Packed: {@code input_ids} only, see {@link
 * Packer} (tails dropped per shard and counted). Padded: {@code input_ids} and {@code loss_mask},
 * see {@link Padder}.
 *
 * <p>Literal special-token text inside a document (e.g. "&lt;|endoftext|&gt;") is encoded as that
 * special token, as Hugging Face tokenizers always do.
 */
public final class TokenizeJob {
  private TokenizeJob() {}

  public record SplitResult(
      String split,
      int shards,
      long documents,
      long emptyDocuments,
      long inputTokens,
      long sequences,
      long tokensWritten,
      long tailTokens,
      long truncatedExamples,
      long truncatedTokens,
      long droppedExamples,
      long droppedTokens,
      long padTokens,
      long lossTokens,
      List<String> files) {}

  public record Result(
      TokenizeMode mode,
      int seqLen,
      int rowLength,
      int eosId,
      int padId,
      String tokenizerSha256,
      Map<String, SplitResult> splits,
      List<String> missingSplits,
      long totalMs,
      String manifestPath) {}

  public static Result run(
      SparkSession spark,
      Config config,
      String input,
      String tokenizerPath,
      String output,
      boolean overwrite) {
    try (OutputDir out =
        OutputDir.open("tokenize", output, overwrite, List.of(input, tokenizerPath))) {
      Result r = write(spark, config, input, tokenizerPath, out.path(), output);
      out.commit();
      return r;
    }
  }

  /** Writes under {@code output}; the result names files as they will be under {@code shown}. */
  private static Result write(
      SparkSession spark,
      Config config,
      String input,
      String tokenizerPath,
      String output,
      String shown) {
    long start = System.nanoTime();
    TokenizeSettings s = TokenizeSettings.from(config.section("tokenize"));
    String tokJson = Storage.readString(TokenEncoder.resolve(tokenizerPath));
    String tokSha = Hashing.sha256Hex(tokJson.getBytes(StandardCharsets.UTF_8));
    int eosId;
    int padId;
    int vocabSize;
    try (TokenEncoder enc = TokenEncoder.fromJson(tokJson)) {
      eosId = enc.requireSpecial(s.eosToken(), "tokenize.eos_token");
      padId =
          s.mode() == TokenizeMode.PADDED
              ? enc.requireSpecial(s.padToken(), "tokenize.pad_token")
              : -1;
      vocabSize = enc.vocabSize();
    }
    boolean packed = s.mode() == TokenizeMode.PACKED;
    Input in = packed ? docsInput(spark, input) : examplesInput(spark, input, s);
    Broadcast<String> tok =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokJson);

    Map<String, SplitResult> results = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String split : s.splits()) {
      if (!in.hasSplit(split)) {
        missing.add(split);
        continue;
      }
      Dataset<Row> rows = in.df().filter(col("split").equalTo(split));
      int shards = s.numShards() > 0 ? s.numShards() : autoShards(in.sizeOf(split), s);
      List<Column> hashed = new ArrayList<>(List.of(lit(s.seed())));
      hashed.addAll(Arrays.asList(in.keyColumns()));
      Column key = xxhash64(hashed.toArray(new Column[0]));
      Dataset<Row> ordered =
          rows.withColumn("_k", key)
              .repartition(shards, col("_k"))
              .sortWithinPartitions(in.sortColumns())
              .select(in.payload());
      TokenizeCounters c = new TokenizeCounters(spark, split);
      String dir = Storage.join(output, "tokens", "split=" + split);
      int rowLength = s.rowLength();
      int batch = s.batchSize();
      JavaRDD<Row> out;
      StructType schema;
      if (packed) {
        out =
            ordered
                .javaRDD()
                .mapPartitions(
                    it -> new EncodingIterator.Pack(it, tok.value(), rowLength, eosId, batch, c));
        schema =
            new StructType()
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
      } else {
        boolean left = "left".equals(s.truncationSide());
        out =
            ordered
                .javaRDD()
                .mapPartitions(
                    it ->
                        new EncodingIterator.Pad(
                            it, tok.value(), rowLength, eosId, padId, left, batch, c));
        schema =
            new StructType()
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("loss_mask", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
      }
      spark.createDataFrame(out, schema).write().parquet(Storage.qualify(dir));
      results.put(split, c.result(split, shards, rowLength, listShards(output, dir)));
    }
    if (results.isEmpty()) {
      throw new SparkLlmException(
          "none of the splits "
              + s.splits()
              + " exist under "
              + input
              + "; check --input or tokenize.splits");
    }
    Storage.writeString(Storage.join(output, "tokenizer.json"), tokJson);
    Storage.writeString(Storage.join(output, "config.yaml"), config.toMaskedYaml());
    long totalMs = (System.nanoTime() - start) / 1_000_000;
    Result r =
        new Result(
            s.mode(),
            s.seqLen(),
            s.rowLength(),
            eosId,
            padId,
            tokSha,
            results,
            missing,
            totalMs,
            Storage.join(shown, TokenManifest.FILE));
    manifest(r, s, config, vocabSize).write(output);
    return r;
  }

  // ---- inputs ---------------------------------------------------------------------------------

  private record Input(
      Dataset<Row> df,
      String splitRoot,
      boolean byDirectory,
      Column[] keyColumns,
      Column[] sortColumns,
      Column[] payload) {
    boolean hasSplit(String split) {
      if (byDirectory) {
        return Storage.exists(Storage.join(splitRoot, "split=" + split));
      }
      return !df.filter(col("split").equalTo(split)).isEmpty();
    }

    long sizeOf(String split) {
      String p = byDirectory ? Storage.join(splitRoot, "split=" + split) : splitRoot;
      Path path = Storage.path(p);
      try {
        return Storage.fs(path).getContentSummary(path).getLength();
      } catch (IOException e) {
        throw new SparkLlmException("cannot measure input " + p + ": " + e.getMessage(), e);
      }
    }
  }

  private static Input docsInput(SparkSession spark, String input) {
    Dataset<Row> df = DocsInput.read(spark, input, "id", "text", "split");
    Column id = col("id").cast("string");
    return new Input(
        df,
        DocsInput.docsPath(input),
        true,
        new Column[] {id},
        new Column[] {col("_k"), id, col("text")},
        new Column[] {coalesce(col("text"), lit(""))});
  }

  private static Input examplesInput(SparkSession spark, String input, TokenizeSettings s) {
    boolean parquet = Storage.exists(Storage.join(input, "docs")) || input.endsWith("docs");
    Dataset<Row> df;
    if (parquet) {
      df = DocsInput.read(spark, input, s.promptField(), s.responseField(), "split");
    } else {
      List<String> files = Storage.expandInputs(List.of(input));
      df = spark.read().json(files.stream().map(Storage::qualify).toArray(String[]::new));
      for (String f : List.of(s.promptField(), s.responseField())) {
        if (!Arrays.asList(df.columns()).contains(f)) {
          throw new SparkLlmException(
              "instruction data under "
                  + input
                  + " has no '"
                  + f
                  + "' field; set tokenize.prompt_field/response_field");
        }
      }
      if (!Arrays.asList(df.columns()).contains("split")) {
        df = df.withColumn("split", lit("train"));
      }
    }
    Column prompt = coalesce(col(s.promptField()).cast("string"), lit(""));
    Column response = coalesce(col(s.responseField()).cast("string"), lit(""));
    boolean hasId = Arrays.asList(df.columns()).contains("id");
    Column[] keys =
        hasId ? new Column[] {col("id").cast("string")} : new Column[] {prompt, response};
    List<Column> sort = new ArrayList<>(List.of(col("_k")));
    sort.addAll(Arrays.asList(keys));
    sort.add(prompt);
    sort.add(response);
    return new Input(
        df,
        parquet ? DocsInput.docsPath(input) : input,
        parquet,
        keys,
        sort.toArray(new Column[0]),
        new Column[] {prompt, response});
  }

  static int autoShards(long bytes, TokenizeSettings s) {
    long target = s.shardTargetMb() * 1024 * 1024;
    return (int) Math.max(1, Math.min(100_000, (bytes + target - 1) / target));
  }

  private static List<String> listShards(String output, String dir) {
    Path p = Storage.path(dir);
    FileSystem fs = Storage.fs(p);
    List<String> out = new ArrayList<>();
    try {
      FileStatus[] files = fs.listStatus(p);
      Arrays.sort(files);
      for (FileStatus f : files) {
        String name = f.getPath().getName();
        if (name.endsWith(".parquet")) {
          out.add(dir.substring(output.length()).replaceFirst("^/+", "") + "/" + name);
        }
      }
    } catch (IOException e) {
      throw new SparkLlmException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static TokenManifest manifest(
      Result r, TokenizeSettings s, Config config, int vocabSize) {
    Map<String, TokenManifest.Split> splits = new LinkedHashMap<>();
    for (SplitResult sr : r.splits().values()) {
      boolean packed = r.mode() == TokenizeMode.PACKED;
      splits.put(
          sr.split(),
          new TokenManifest.Split(
              sr.shards(),
              sr.files(),
              sr.documents(),
              sr.sequences(),
              sr.inputTokens(),
              sr.tokensWritten(),
              packed ? new TokenManifest.PackedCounts(sr.emptyDocuments(), sr.tailTokens()) : null,
              packed
                  ? null
                  : new TokenManifest.PaddedCounts(
                      sr.truncatedExamples(),
                      sr.truncatedTokens(),
                      sr.droppedExamples(),
                      sr.droppedTokens(),
                      sr.padTokens(),
                      sr.lossTokens())));
    }
    TokenManifest.Padding padding =
        r.mode() == TokenizeMode.PADDED
            ? new TokenManifest.Padding(s.padToken(), r.padId(), s.truncationSide())
            : null;
    return new TokenManifest(
        r.seqLen(),
        vocabSize,
        r.tokenizerSha256(),
        new TokenManifest.Tokenize(
            r.mode(),
            r.rowLength(),
            "tokenizer.json",
            s.eosToken(),
            r.eosId(),
            padding,
            s.seed(),
            config.hash(),
            r.missingSplits(),
            splits));
  }
}
