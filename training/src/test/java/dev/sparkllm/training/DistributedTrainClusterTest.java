package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two replicas in two executor JVMs (local-cluster), against one replica accumulating. */
class DistributedTrainClusterTest {

  @Test
  void replicasInSeparateExecutorJvmsEqualOneReplica(@TempDir Path tmp) throws Exception {
    Path jar = tmp.resolve("app.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      addTree(out, Path.of("target/classes"));
      addTree(out, Path.of("target/test-classes"));
    }
    String opens =
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
            .collect(Collectors.joining(" "));
    SparkSession spark =
        SparkSession.builder()
            .master("local-cluster[2,1,1024]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
            .config("spark.jars", jar.toUri().toString())
            .config("spark.executor.extraJavaOptions", opens + " -Dai.djl.offline=true")
            .getOrCreate();
    try {
      // A leftover local session would be reused by getOrCreate and prove nothing.
      assertThat(spark.sparkContext().master()).startsWith("local-cluster");
      String data = tmp.resolve("data").toString();
      TrainJobTest.spark = spark;
      TrainJobTest.writeData(
          data,
          TrainJobTest.pattern(48, 12),
          TrainJobTest.pattern(8, 12),
          TrainJobTest.SEQ,
          TrainJobTest.VOCAB,
          "abc123");
      DistributedTrainJobTest.data = data;
      String single = tmp.resolve("single").toString();
      String dist = tmp.resolve("dist").toString();
      TrainJob.TrainResult one =
          TrainJob.run(
              spark,
              DistributedTrainJobTest.config("training.grad_accum_steps=2"),
              data,
              single,
              false);
      TrainJob.TrainResult two =
          DistributedTrainJob.run(spark, DistributedTrainJobTest.config(), data, dist, false, 2);
      assertThat(two.finalStep()).isEqualTo(4);
      for (int i = 0; i < 4; i++) {
        assertThat(two.trainLosses().get(i)).isCloseTo(one.trainLosses().get(i), within(1e-5));
      }
      assertThat(
              DistributedTrainJobTest.maxWeightDiff(single, dist, DistributedTrainJobTest.config()))
          .isLessThan(1e-5);
      List<String> metrics = Files.readAllLines(Path.of(dist, "metrics.jsonl"));
      assertThat(metrics).hasSize(4);
      System.out.println("local-cluster metrics: " + metrics.get(2));
    } finally {
      spark.stop();
    }
  }

  private static void addTree(JarOutputStream out, Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        out.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
    }
  }
}
