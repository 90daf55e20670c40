package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input from and output to s3a:// on a real S3-compatible server, through the S3A committer. */
class PreprocessS3Test extends SparkTestBase {
  @TempDir static Path tmp;
  static S3ProxyServer s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start(tmp, "corpus");
    s3.configure(spark);
  }

  @AfterAll
  static void stopS3() throws Exception {
    FileSystem.closeAll();
    s3.close();
  }

  @Test
  void readsAndWritesS3a() throws Exception {
    Path local = tmp.resolve("docs.jsonl");
    Files.writeString(
        local,
        "{\"id\":\"1\",\"text\":\"First document from object storage.\"}\n"
            + "{\"id\":\"2\",\"text\":\"Second document from object storage.\"}\n"
            + "{\"id\":\"3\"}\n");
    Storage.writeAtomically("s3a://corpus/raw/docs.jsonl", Files.readAllBytes(local));

    PreprocessJob.Result r =
        PreprocessJob.run(
            spark,
            Config.load(null, List.of("preprocess.steps=[]")),
            List.of("s3a://corpus/raw/"),
            "s3a://corpus/out",
            false);

    assertThat(r.input()).isEqualTo(3);
    assertThat(r.kept()).isEqualTo(2);
    assertThat(spark.read().parquet("s3a://corpus/out/docs").count()).isEqualTo(2);
    assertThat(spark.read().parquet("s3a://corpus/out/rejected").count()).isEqualTo(1);
    assertThat(Storage.readString("s3a://corpus/out/stats.json")).contains("\"reconciled\" : true");
    // A real S3A committer leaves a JSON _SUCCESS manifest (the classic one leaves an empty file).
    assertThat(Storage.readString("s3a://corpus/out/docs/_SUCCESS")).contains("committer");
    // Credentials never reach the saved config.
    String cfg = Storage.readString("s3a://corpus/out/config.yaml");
    assertThat(cfg).doesNotContain(S3ProxyServer.SECRET_KEY);
  }
}
