package dev.sparkllm.jobs;

import dev.sparkllm.core.SparkLlmException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project's bundled files are (bin/spark-llm passes -Dspark.llm.home). */
final class Home {
  private Home() {}

  static Path root() {
    String home = System.getProperty("spark.llm.home");
    Path p = Path.of(home == null ? "." : home).toAbsolutePath().normalize();
    // Tests run from a module folder; walk up to the project root.
    for (Path c = p; c != null; c = c.getParent()) {
      if (Files.isDirectory(c.resolve("data/brown")) && Files.isDirectory(c.resolve("conf"))) {
        return c;
      }
    }
    throw new SparkLlmException(
        "cannot find the spark-llm project folder (data/brown, conf); run bin/spark-llm from the"
            + " repository or set -Dspark.llm.home");
  }

  static Path brownCorpus() {
    return root().resolve("data/brown/brown.jsonl.gz");
  }
}
