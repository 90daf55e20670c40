package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.PreprocessJob;
import dev.sparkllm.preprocessing.PreprocessStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;

/**
 * preprocess throughput on generated input at 1x and 4x the same size, in one run so the ratio is
 * measured on the same machine state. Documents are built from paragraphs of the bundled Brown
 * corpus, shuffled with a seed, so they look like real prose and are mostly unique (a few exact and
 * near duplicates are mixed in on purpose so dedup has work to do).
 */
public final class PreprocessBenchmark {
  private PreprocessBenchmark() {}

  /**
   * @param config the settings preprocess runs with (the command's --config/--set, which the
   *     benchmark once ignored in favour of the defaults)
   */
  public static Map<String, Object> run(
      SparkSession spark, Config config, Path corpus, Path workDir, double megabytes, long seed)
      throws IOException {
    List<String> paragraphs = paragraphs(corpus);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("benchmark", "preprocess");
    result.put("cores", spark.sparkContext().defaultParallelism());
    result.put("base_mb", megabytes);
    List<Map<String, Object>> runs = new ArrayList<>();
    for (int scale : new int[] {1, 4}) {
      Path input = workDir.resolve("input-" + scale + "x.jsonl");
      long bytes = generate(paragraphs, input, (long) (megabytes * scale * 1e6), seed);
      Path out = workDir.resolve("out-" + scale + "x");
      long t0 = System.nanoTime();
      PreprocessJob.Result r =
          PreprocessJob.run(spark, config, List.of(input.toString()), out.toString(), true);
      double secs = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("scale", scale);
      m.put("input_mb", bytes / 1e6);
      m.put("documents", r.input());
      m.put("kept", r.kept());
      m.put("seconds", secs);
      m.put("mb_per_s", bytes / 1e6 / secs);
      m.put("mb_per_s_per_core", bytes / 1e6 / secs / spark.sparkContext().defaultParallelism());
      Map<String, Object> stepSeconds = new LinkedHashMap<>();
      for (PreprocessStats.Step s : r.stats().steps()) {
        if (s.seconds() != null) {
          stepSeconds.put(s.name(), s.seconds());
        }
      }
      m.put("step_cpu_seconds", stepSeconds);
      runs.add(m);
    }
    result.put("runs", runs);
    double r1 = (double) runs.get(0).get("mb_per_s");
    double r4 = (double) runs.get(1).get("mb_per_s");
    result.put("throughput_ratio_4x_over_1x", r4 / r1);
    return result;
  }

  static List<String> paragraphs(Path corpus) throws IOException {
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String text = Json.MAPPER.readTree(line).get("text").asText();
        for (String p : text.split("\n\n")) {
          if (p.split(" ").length >= 20) {
            out.add(p);
          }
        }
      }
    }
    return out;
  }

  static long generate(List<String> paragraphs, Path file, long targetBytes, long seed)
      throws IOException {
    Random rnd = new Random(seed);
    long bytes = 0;
    int id = 0;
    String previous = null;
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      while (bytes < targetBytes) {
        String text;
        if (previous != null && rnd.nextInt(50) == 0) {
          text = previous; // an exact duplicate
        } else {
          StringBuilder sb = new StringBuilder();
          int n = 3 + rnd.nextInt(8);
          for (int i = 0; i < n; i++) {
            if (i > 0) {
              sb.append("\n\n");
            }
            sb.append(paragraphs.get(rnd.nextInt(paragraphs.size())));
          }
          text = sb.toString();
        }
        previous = text;
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("id", "doc-" + id++);
        rec.put("text", text);
        String line =
            Json.MAPPER
                    .writer()
                    .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(rec)
                + "\n";
        w.write(line);
        bytes += line.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return bytes;
  }

  /** Writes result.json under the output directory and returns its path. */
  public static String write(Map<String, Object> result, String outputDir) {
    String path = Storage.join(outputDir, "preprocess-benchmark.json");
    Json.writeFile(path, result);
    return path;
  }
}
