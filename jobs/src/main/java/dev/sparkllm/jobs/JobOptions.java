package dev.sparkllm.jobs;

import dev.sparkllm.core.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** Options every Spark command takes: config, overrides, master and Spark settings. */
public final class JobOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML config (local, file:// or s3a://); defaults: conf/defaults.yaml.")
  String config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key, e.g. --set preprocess.seed=7 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master when not under spark-submit (default: local[*]), e.g. local[2], or"
              + " local-cluster[2,1,2048]: 2 executor JVMs of 1 core and 2048 MB on this machine.")
  String master;

  /** The master when neither --master nor spark-submit gives one; a command may change it. */
  String defaultMaster = "local[*]";

  @Option(
      names = "--conf",
      paramLabel = "spark.k=v",
      description =
          "Spark setting passed through, e.g. --conf spark.driver.memory=4g (repeatable).")
  List<String> sparkConf = new ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  /** A dedicated flag (e.g. --seq-len) as an override that explicit --set entries still beat. */
  void prependOverride(String key, Object value) {
    if (value != null) {
      List<String> o = new ArrayList<>();
      o.add(key + "=" + value);
      o.addAll(overrides);
      overrides = o;
    }
  }

  /** What a command does with its config and session; returns the exit code. */
  interface SparkBody {
    int run(Config cfg, SparkSession spark) throws Exception;
  }

  /** Loads the config, opens the session, runs {@code body}, and always stops the session. */
  int withSpark(SparkBody body) throws Exception {
    Config cfg = loadConfig();
    SparkSession spark = session(cfg);
    try {
      return body.run(cfg, spark);
    } finally {
      spark.stop();
    }
  }

  Config loadConfig() {
    return Config.load(config, overrides);
  }

  /**
   * A session for the command. Under spark-submit the master and settings come from it; from the
   * CLI, --master (default local[*]) applies. Config {@code spark.conf} entries come first, then
   * --conf, so the command line wins.
   */
  SparkSession session(Config cfg) {
    SparkConf sc = new SparkConf();
    boolean submitted = sc.contains("spark.master");
    if (!submitted) {
      sc.setMaster(master == null ? defaultMaster : master);
    } else if (master != null) {
      throw new dev.sparkllm.core.SparkLlmException(
          "--master is set by spark-submit here; pass it to spark-submit instead");
    }
    if (!sc.contains("spark.app.name")) {
      sc.setAppName(cfg.getString("spark.app_name"));
    }
    for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e :
        iterable(cfg.section("spark").tree().get("conf").fields())) {
      sc.set(e.getKey(), e.getValue().asText());
    }
    for (String kv : sparkConf) {
      int eq = kv.indexOf('=');
      if (eq <= 0 || !kv.startsWith("spark.")) {
        throw new dev.sparkllm.core.SparkLlmException(
            "--conf '" + kv.replaceAll("=.*", "=...") + "' must look like spark.key=value");
      }
      sc.set(kv.substring(0, eq), kv.substring(eq + 1));
    }
    sc.setIfMissing("spark.ui.showConsoleProgress", String.valueOf(System.console() != null));
    sc.setIfMissing("spark.sql.shuffle.partitions", "8");
    ClusterSetup.apply(sc);
    SparkSession spark = SparkSession.builder().config(sc).getOrCreate();
    try {
      ClusterSetup.awaitExecutors(spark);
    } catch (RuntimeException e) {
      spark.stop();
      throw e;
    }
    return spark;
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }
}
