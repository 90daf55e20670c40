package dev.sparkllm.jobs.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.OutputDir;
import dev.sparkllm.jobs.BrownCorpus;
import dev.sparkllm.jobs.CliCapture;
import dev.sparkllm.preprocessing.PreprocessStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code preprocess --overwrite} killed with SIGKILL at several moments: the output directory holds
 * the complete old output or the complete new one (its stats reconcile with the documents on disk),
 * never neither, and the next run takes over the dead job's lock and clears its temporary siblings.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KillDuringOverwriteTest {
  static final int OLD_DOCS = 30;
  static final int NEW_DOCS = 45;

  @TempDir Path tmp;

  @Test
  void killedOverwriteLeavesTheOldOrTheNewOutputWholeAndDoesNotBlockTheNextRun() throws Exception {
    Path oldCorpus = corpus("old.jsonl", OLD_DOCS);
    Path newCorpus = corpus("new.jsonl", NEW_DOCS);
    Path out = tmp.resolve("out");
    Path lock = tmp.resolve(".out.lock");

    CliCapture first = preprocess(oldCorpus, out, false);
    assertThat(first.exitCode).as(first.err).isZero();
    assertWhole(out);

    Random rnd = new Random(3);
    int kills = 0;
    for (int trial = 0; trial < 3; trial++) {
      ChildJvm child =
          ChildJvm.start(
              tmp.resolve("pre-" + trial + ".log"),
              args(newCorpus, out, true).toArray(String[]::new));
      // Once the job holds the lock; once it writes its hidden sibling; then a while later, when
      // Spark is writing Parquet or the commit swaps the directories.
      boolean reached =
          switch (trial) {
            case 0 -> child.awaitWhileAlive(() -> Files.exists(lock), Duration.ofSeconds(90));
            default ->
                child.awaitWhileAlive(
                    () -> !siblings(out, ".tmp-").isEmpty(), Duration.ofSeconds(90));
          };
      assertThat(reached).as("child never got that far:%n%s", child.output()).isTrue();
      if (trial == 2) {
        Thread.sleep(500 + rnd.nextInt(3000));
      }
      boolean finished = !child.process.isAlive();
      child.kill();
      kills += finished ? 0 : 1;

      long docs = assertWhole(out);
      assertThat(docs).isIn((long) OLD_DOCS, (long) NEW_DOCS);
      System.out.printf(
          "overwrite kill %d: output holds the %s one%n", trial, docs == OLD_DOCS ? "old" : "new");
    }
    assertThat(kills).as("at least one child was killed before it finished").isPositive();

    // The dead job's lock (left by SIGKILL) is taken over, its temporary output removed.
    CliCapture again = preprocess(newCorpus, out, true);
    assertThat(again.exitCode).as(again.err).isZero();
    assertThat(assertWhole(out)).isEqualTo(NEW_DOCS);
    assertThat(siblings(out, ".tmp-")).isEmpty();
    assertThat(siblings(out, ".old-")).isEmpty();
    assertThat(lock).doesNotExist();
  }

  /**
   * The output as a reader finds it — or, when a kill fell between the two renames of the swap, the
   * old output renamed aside, which the next job puts back — is marked, and its stats reconcile
   * with the Parquet rows on disk. Returns the input document count.
   */
  private long assertWhole(Path out) throws IOException {
    Path dir = out;
    if (!Files.exists(out)) {
      List<Path> aside = siblings(out, ".old-");
      assertThat(aside).as("neither %s nor an output renamed aside exists", out).hasSize(1);
      dir = aside.get(0);
    }
    assertThat(dir.resolve(OutputDir.MARKER)).exists();
    PreprocessStats stats = PreprocessStats.read(dir.toString());
    long input = stats.input().documents();
    assertThat(stats.output().kept() + stats.output().rejected()).isEqualTo(input);
    assertThat(stats.output().kept()).as("documents kept").isPositive();
    assertThat(rows(dir.resolve("docs"))).isEqualTo(stats.output().kept());
    assertThat(rows(dir.resolve("rejected"))).isEqualTo(stats.output().rejected());
    return input;
  }

  private static long rows(Path dir) throws IOException {
    Configuration conf = new Configuration();
    long n = 0;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        try (ParquetFileReader r =
            ParquetFileReader.open(
                HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(p.toUri()), conf))) {
          n += r.getRecordCount();
        }
      }
    }
    return n;
  }

  private List<Path> siblings(Path out, String kind) {
    String prefix = "." + out.getFileName() + kind.substring(0, kind.length() - 1);
    try (Stream<Path> s = Files.list(out.getParent())) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The first {@code docs} Brown documents: real prose, so most are kept. */
  private Path corpus(String name, int docs) throws IOException {
    return BrownCorpus.write(tmp.resolve(name), docs);
  }

  private static List<String> args(Path input, Path out, boolean overwrite) {
    List<String> a =
        new java.util.ArrayList<>(
            List.of(
                "preprocess",
                "--input",
                input.toString(),
                "--output",
                out.toString(),
                "--master",
                "local[1]"));
    if (overwrite) {
      a.add("--overwrite");
    }
    return a;
  }

  private static CliCapture preprocess(Path input, Path out, boolean overwrite) {
    return CliCapture.run(args(input, out, overwrite).toArray(String[]::new));
  }
}
