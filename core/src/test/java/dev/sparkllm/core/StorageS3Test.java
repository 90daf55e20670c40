package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.testing.S3ProxyServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StorageS3Test {
  @TempDir static Path tmp;
  static S3ProxyServer s3;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3ProxyServer.start(tmp, "bucket");
    s3.configure(Storage.hadoopConf());
  }

  @AfterAll
  static void stop() throws Exception {
    FileSystem.closeAll();
    s3.close();
  }

  @Test
  void writeReadListAndRefuseNonEmptyOutput() {
    String dir = "s3a://bucket/out";
    Storage.prepareOutputDir(dir, false);
    Storage.writeString(dir + "/a.json", "{\"x\": 1}\n");
    Storage.writeString(dir + "/sub/b.txt", "hello");
    assertThat(Storage.readString(dir + "/a.json")).isEqualTo("{\"x\": 1}\n");
    List<String> files = Storage.expandInputs(List.of(dir));
    assertThat(files).hasSize(2);
    assertThat(files.get(0)).endsWith("a.json");
    assertThatThrownBy(() -> Storage.prepareOutputDir(dir, false))
        .hasMessageContaining("not empty")
        .hasMessageContaining("--overwrite");
    Storage.prepareOutputDir(dir, true);
    assertThat(Storage.exists(dir + "/a.json")).isFalse();
  }
}
