package dev.sparkllm.preprocessing.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.core.testing.S3ProxyServer;
import dev.sparkllm.preprocessing.tokenizer.TrainTokenizerJob;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** train-tokenizer and tokenize reading from and writing to s3a:// (S3Proxy). */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TokenizeS3Test {
  @TempDir static Path tmp;
  static S3ProxyServer s3;
  static SparkSession spark;

  @BeforeAll
  static void setUp() throws Exception {
    s3 = S3ProxyServer.start(tmp, "bucket");
    spark = LocalSpark.start();
    s3.configure(spark);
  }

  @AfterAll
  static void tearDown() throws Exception {
    spark.stop();
    FileSystem.closeAll();
    s3.close();
  }

  @Test
  void trainAndTokenizeOnS3() throws Exception {
    String in = "s3a://bucket/pre";
    spark
        .createDataFrame(TokenizeJobTest.docs(), TokenizeJobTest.DOCS)
        .coalesce(1)
        .write()
        .partitionBy("split")
        .parquet(in + "/docs");
    String tok = "s3a://bucket/tok";
    TrainTokenizerJob.Result t =
        TrainTokenizerJob.run(
            spark, Config.load(null, List.of("tokenizer.vocab_size=300")), in, tok, false);
    assertThat(t.trainDocuments()).isEqualTo(7);
    assertThat(Storage.exists(tok + "/tokenizer.json")).isTrue();

    String out = "s3a://bucket/tokens-out";
    // Spark 4 selects the magic committer at startup only when spark-hadoop-cloud is loadable and
    // nothing overrides it; without that, the job's output must still get it.
    spark.conf().unset("spark.sql.sources.commitProtocolClass");
    spark.conf().unset("spark.sql.parquet.output.committer.class");
    spark.sparkContext().hadoopConfiguration().unset("fs.s3a.committer.name");
    spark
        .sparkContext()
        .hadoopConfiguration()
        .unset("mapreduce.outputcommitter.factory.scheme.s3a");
    TokenizeJob.Result r =
        TokenizeJob.run(
            spark,
            // One shard per split: Spark picks the S3A magic committer, which on S3Proxy cannot
            // commit a task that wrote nothing (its empty task directory does not list), and
            // with more shards than the 1-document test split some task would be empty.
            Config.load(null, List.of("tokenize.seq_len=8", "tokenize.num_shards=1")),
            in,
            tok + "/tokenizer.json",
            out,
            false);
    TokenizeJob.SplitResult train = r.splits().get("train");
    assertThat(train.sequences()).isPositive();
    List<Row> rows = spark.read().parquet(out + "/tokens/split=train").collectAsList();
    // The magic committer's _SUCCESS is a JSON manifest, not an empty marker.
    assertThat(Storage.readString(out + "/tokens/split=train/_SUCCESS")).contains("committer");
    assertThat(rows).hasSize((int) train.sequences());
    assertThat(rows).allSatisfy(row -> assertThat(row.getList(0)).hasSize(9));
    JsonNode manifest = Json.MAPPER.readTree(Storage.readString(out + "/manifest.json"));
    assertThat(manifest.at("/splits/train/sequences").asLong()).isEqualTo(train.sequences());
    for (JsonNode f : manifest.at("/splits/train/files")) {
      assertThat(Storage.exists(out + "/" + f.asText())).as(f.asText()).isTrue();
    }
    assertThat(manifest.get("tokenizer_sha256").asText()).isEqualTo(t.tokenizerSha256());
  }
}
