package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Slices of the bundled Brown corpus (JSONL, one text a line) for tests that run real stages. */
public final class BrownCorpus {
  /** Relative to a module directory, where surefire runs. */
  public static final Path FILE = Path.of("../data/brown/brown.jsonl.gz");

  private BrownCorpus() {}

  /** The first {@code n} JSONL records. */
  public static List<String> firstLines(int n) {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(FILE)), StandardCharsets.UTF_8))) {
      List<String> lines = r.lines().limit(n).toList();
      assertThat(lines).hasSize(n);
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the first {@code n} records to {@code file}; returns it. */
  public static Path write(Path file, int n) throws IOException {
    return Files.write(file, firstLines(n));
  }
}
