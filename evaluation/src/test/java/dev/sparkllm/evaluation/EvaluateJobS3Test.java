package dev.sparkllm.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.testing.LocalSpark;
import dev.sparkllm.core.testing.S3ProxyServer;
import dev.sparkllm.training.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint, shards, tokenizer, task file and report all on a real S3 API (S3Proxy). */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EvaluateJobS3Test {
  @TempDir static Path tmp;
  static S3ProxyServer s3;

  @BeforeAll
  static void start() throws Exception {
    EvaluateJobTest.spark = LocalSpark.start();
    s3 = S3ProxyServer.start(tmp, "bucket");
    s3.configure(EvaluateJobTest.spark);
  }

  @AfterAll
  static void stop() throws Exception {
    EvaluateJobTest.spark.stop();
    FileSystem.closeAll();
    s3.close();
  }

  static void upload(Path local, String remote) throws Exception {
    S3ProxyServer.upload(local, remote);
  }

  @Test
  void evaluatesFromAndToS3() throws Exception {
    Path data = tmp.resolve("data");
    EvaluateJobTest.writeData(
        data.toString(),
        Map.of(
            "train", EvaluateJobTest.pattern(16),
            "validation", EvaluateJobTest.pattern(4),
            "test", EvaluateJobTest.pattern(4)),
        EvaluateJobTest.VOCAB);
    Files.writeString(data.resolve("tokenizer.json"), EvaluateJobTest.tokenizerJson());
    Path run = tmp.resolve("run");
    TrainJob.run(
        EvaluateJobTest.spark,
        EvaluateJobTest.config("training.max_steps=2", "training.eval_interval=1"),
        data.toString(),
        run.toString(),
        false);
    Files.writeString(tmp.resolve("t.jsonl"), "{\"prompt\": \"abc\", \"reference\": \"defg\"}\n");
    upload(data, "s3a://bucket/data");
    upload(run, "s3a://bucket/run");
    upload(tmp.resolve("t.jsonl"), "s3a://bucket/t.jsonl");

    EvaluateJob.EvaluateResult r =
        EvaluateJob.run(
            EvaluateJobTest.spark,
            EvaluateJobTest.config("evaluate.max_new_tokens=3"),
            "s3a://bucket/run",
            "s3a://bucket/data",
            "s3a://bucket/eval",
            List.of("s3a://bucket/t.jsonl"),
            false);

    assertThat(r.tokens()).isEqualTo(4L * EvaluateJobTest.SEQ);
    assertThat(r.perplexity()).isGreaterThan(1.0).isLessThan(EvaluateJobTest.VOCAB * 2.0);
    JsonNode report = Json.MAPPER.readTree(Storage.readString("s3a://bucket/eval/report.json"));
    assertThat(report.get("checkpoint").asText())
        .isEqualTo("s3a://bucket/run/checkpoints/step-0000002");
    assertThat(report.at("/tasks/0/examples").asInt()).isEqualTo(1);
    assertThat(Storage.readString("s3a://bucket/eval/report.html"))
        .contains("data:image/png;base64,");
    assertThat(Storage.readString("s3a://bucket/eval/samples.jsonl").lines()).hasSize(1);
  }
}
