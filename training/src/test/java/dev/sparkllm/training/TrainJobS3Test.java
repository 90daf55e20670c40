package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Storage;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.core.testing.S3ProxyServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints, metrics and resume against a real S3 API (S3Proxy) through s3a://. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TrainJobS3Test {
  @TempDir static Path tmp;
  static S3ProxyServer s3;

  @BeforeAll
  static void start() throws Exception {
    TrainJobTest.spark = LocalSpark.start();
    s3 = S3ProxyServer.start(tmp, "bucket");
    s3.configure(TrainJobTest.spark);
  }

  @AfterAll
  static void stop() throws Exception {
    TrainJobTest.spark.stop();
    FileSystem.closeAll();
    s3.close();
  }

  @Test
  void checkpointsAndResumeOnS3() throws Exception {
    // Shards are written locally by Spark and copied up: Spark's S3A write path is slow to start
    // and is not what this test is about; reading shards from s3a:// is.
    String local = tmp.resolve("data").toString();
    TrainJobTest.writeData(
        local, TrainJobTest.pattern(16, 12), TrainJobTest.pattern(4, 12), 16, 32, "abc");
    String data = "s3a://bucket/data";
    S3ProxyServer.upload(Path.of(local), data);
    String out = "s3a://bucket/run";
    TrainJob.run(
        TrainJobTest.spark,
        TrainJobTest.config("training.max_steps=2", "training.lr_decay_steps=4"),
        data,
        out,
        false);
    assertThat(Storage.readString(out + "/checkpoints/latest").trim()).isEqualTo("step-0000002");
    TrainResult r =
        TrainJob.run(
            TrainJobTest.spark,
            TrainJobTest.config("training.max_steps=4", "training.lr_decay_steps=4"),
            data,
            out,
            true);
    assertThat(r.finalStep()).isEqualTo(4);
    assertThat(r.trainLosses()).hasSize(4);
    assertThat(Checkpoints.load(Checkpoints.latest(out)).state().get("step").asLong()).isEqualTo(4);
    assertThat(Storage.readString(out + "/metrics.jsonl").lines()).hasSize(2);
    // A lost latest object: the newest step "directory" (a prefix) that verifies takes its place.
    org.apache.hadoop.fs.Path latest = Storage.path(out + "/checkpoints/latest");
    Storage.fs(latest).delete(latest, false);
    assertThat(Checkpoints.latest(out)).isEqualTo(out + "/checkpoints/step-0000004");
  }
}
