package dev.sparkllm.jobs.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.jobs.BrownCorpus;
import dev.sparkllm.jobs.CliCapture;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.PreprocessStats;
import dev.sparkllm.preprocessing.steps.DocumentStep;
import dev.sparkllm.preprocessing.steps.StepRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gzip bombs, a line longer than the reader takes and a document a step throws on, through the CLI:
 * the job finishes, and stats.json counts them as {@code too_long} and {@code step_error} with
 * input = kept + rejected.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PathologicalInputCliTest {
  static final String TRIGGER = "TRIGGER-STEP-ERROR";
  static final int MAX_LINE_BYTES = 64 * 1024;
  static final int MAX_DOC_CHARS = 32 * 1024;

  @TempDir Path tmp;

  /**
   * The whitespace step, but with a bug one document triggers. No real step is known to throw (that
   * is the point of them), so the test swaps it into the registry of this JVM, where local[2]
   * executors build their steps.
   */
  static final class BrittleWhitespace implements DocumentStep {
    private static final long serialVersionUID = 1L;
    private final DocumentStep real;

    BrittleWhitespace(DocumentStep real) {
      this.real = real;
    }

    @Override
    public String name() {
      return real.name();
    }

    @Override
    public void open() {
      real.open();
    }

    @Override
    public String apply(Document doc) {
      if (doc.text.contains(TRIGGER)) {
        throw new IllegalStateException("cannot handle\nthis document");
      }
      return real.apply(doc);
    }
  }

  @Test
  void bombsLongLinesAndAThrowingStepAreCountedAndTheJobFinishes() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("in"));
    int normal = 20;
    List<String> brown = BrownCorpus.firstLines(normal);
    Files.writeString(
        in.resolve("normal.jsonl"),
        String.join("\n", brown)
            + "\n"
            // A record far over max_line_bytes between two ordinary ones.
            + line("huge", "word ".repeat(MAX_LINE_BYTES / 2))
            + "\n"
            + line("after-huge", prose(1000))
            + "\n"
            + line("throws", prose(2000) + " " + TRIGGER)
            + "\n");
    // 64 MiB of text in ~64 KiB of gzip: one document, and one line with no end.
    gzipBomb(in.resolve("bomb.txt.gz"), (byte) 'a');
    gzipBomb(in.resolve("bomb.jsonl.gz"), (byte) ' ');
    Path out = tmp.resolve("out");

    CliCapture c;
    long t0 = System.nanoTime();
    Field f = StepRegistry.class.getDeclaredField("FACTORIES");
    f.setAccessible(true);
    @SuppressWarnings("unchecked")
    Map<String, Function<Config, DocumentStep>> factories =
        (Map<String, Function<Config, DocumentStep>>) f.get(null);
    Function<Config, DocumentStep> real = factories.get("whitespace");
    factories.put("whitespace", cfg -> new BrittleWhitespace(real.apply(cfg)));
    try {
      c =
          CliCapture.run(
              "preprocess",
              "--input",
              in.toString(),
              "--output",
              out.toString(),
              "--master",
              "local[2]",
              "--set",
              "preprocess.reader.max_line_bytes=" + MAX_LINE_BYTES,
              "--set",
              "preprocess.reader.max_doc_chars=" + MAX_DOC_CHARS);
    } finally {
      factories.put("whitespace", real);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(c.exitCode).as(c.err).isZero();

    PreprocessStats stats = PreprocessStats.read(out.toString());
    long input = stats.input().documents();
    assertThat(input).isEqualTo(normal + 3 + 2);
    assertThat(stats.output().kept() + stats.output().rejected()).isEqualTo(input);
    assertThat(stats.reconciled()).isTrue();
    PreprocessStats.Step read = step(stats, "read");
    assertThat(read.rejectedByReason()).containsEntry("too_long", 3L);
    PreprocessStats.Step ws = step(stats, "whitespace");
    assertThat(ws.rejectedByReason()).containsEntry("step_error", 1L);
    // Everything else went on: the record after the huge line and the normal documents were read.
    assertThat(read.out()).isEqualTo(input - 3);
    assertThat(stats.output().kept()).as("ordinary documents kept").isPositive();
    System.out.printf("pathological inputs: %d in, handled in %.1f s%n", input, seconds);
  }

  private static PreprocessStats.Step step(PreprocessStats stats, String name) {
    return stats.steps().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + name + " in stats.json"));
  }

  private static void gzipBomb(Path file, byte fill) throws IOException {
    byte[] block = new byte[1 << 20];
    java.util.Arrays.fill(block, fill);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
      if (fill == ' ') {
        out.write("{\"id\": \"bomb\", \"text\": \"".getBytes(StandardCharsets.UTF_8));
      }
      for (int i = 0; i < 64; i++) {
        out.write(block);
      }
    }
  }

  private static String prose(int i) {
    return "Document "
        + i
        + " describes the harbour, the market and the hills behind the town. The second sentence"
        + " adds a few more ordinary words about boats and weather, number "
        + (i * 31 % 97)
        + ".";
  }

  private static String line(String id, String text) {
    return "{\"id\": \"" + id + "\", \"text\": \"" + text + "\"}";
  }
}
