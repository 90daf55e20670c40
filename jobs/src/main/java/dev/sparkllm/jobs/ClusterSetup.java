package dev.sparkllm.jobs;

import dev.sparkllm.core.SparkLlmException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.BarrierJobSlotsNumberCheckFailed;
import org.apache.spark.sql.SparkSession;

/**
 * What every command's session needs beyond the user's settings: executors for {@code
 * local-cluster[W,C,MB]} masters started from this JVM's classpath (no Spark distribution needed),
 * and failures instead of hangs when executors do not come up or a barrier stage (train --replicas)
 * cannot get its task slots.
 */
public final class ClusterSetup {
  /**
   * Spark re-checks a barrier stage's slots every interval, up to maxFailures times (defaults 15 s
   * × 40 = 10 minutes), before failing the job; 5 s × 10 gives up after about 50 s.
   */
  static final String BARRIER_CHECK_INTERVAL =
      "spark.scheduler.barrier.maxConcurrentTasksCheck.interval";

  static final String BARRIER_CHECK_MAX_FAILURES =
      "spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures";

  /** How long a local-cluster session waits for its executors before failing. */
  static final long EXECUTOR_WAIT_SECONDS = 45;

  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

  private ClusterSetup() {}

  /** Settings the user did not make themselves; call after the user's own. */
  public static void apply(SparkConf sc) {
    sc.setIfMissing(BARRIER_CHECK_INTERVAL, "5s");
    sc.setIfMissing(BARRIER_CHECK_MAX_FAILURES, "10");
    if (isLocalCluster(sc.get("spark.master", ""))) {
      localCluster(sc);
    }
  }

  static boolean isLocalCluster(String master) {
    return master.startsWith("local-cluster");
  }

  /**
   * Executor JVMs launched by local-cluster's in-process workers get: this JVM's classpath and
   * module openings; the application's classes again as a jar in spark.jars (classes only on the
   * executor's system classpath fail to deserialize lambdas: "cannot assign instance of
   * SerializedLambda"); and, through spark.executorEnv, the two variables Spark's launcher reads to
   * build an executor command outside a Spark distribution (SPARK_TESTING: no jars/ directory
   * needed; SPARK_SCALA_VERSION: no build tree to detect it from). The launcher prefers the
   * command's environment over the process's, so nothing has to be exported before the JVM starts.
   */
  private static void localCluster(SparkConf sc) {
    String master = sc.get("spark.master");
    if (!LOCAL_CLUSTER.matcher(master).matches()) {
      throw new SparkLlmException(
          "--master "
              + master
              + " must look like local-cluster[WORKERS,CORES_PER_WORKER,MB_PER_WORKER],"
              + " e.g. local-cluster[2,1,2048]");
    }
    for (Map.Entry<String, String> e : childJvmExecutors().entrySet()) {
      sc.setIfMissing(e.getKey(), e.getValue());
    }
  }

  /**
   * What executor JVMs started on this machine from this JVM's classpath need (local-cluster, and
   * the benchmark's standalone workers behind shaped links).
   */
  static Map<String, String> childJvmExecutors() {
    Map<String, String> s = new LinkedHashMap<>();
    String cp = System.getProperty("java.class.path");
    s.put("spark.executor.extraClassPath", cp);
    s.put("spark.jars", String.join(",", applicationJars(cp)));
    StringBuilder opts = new StringBuilder("-Dai.djl.offline=true");
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")
          || a.startsWith("--add-exports")
          || a.startsWith("-Djdk.reflect")
          || a.startsWith("-Dio.netty")) {
        opts.append(' ').append(a);
      }
    }
    s.put("spark.executor.extraJavaOptions", opts.toString());
    s.put("spark.executorEnv.SPARK_TESTING", "1");
    s.put("spark.executorEnv.SPARK_SCALA_VERSION", "2.13");
    return s;
  }

  /**
   * The project's jars on the classpath, and its class directories (tests, IDEs) packed into one
   * temporary jar.
   */
  static List<String> applicationJars(String classpath) {
    List<String> jars = new ArrayList<>();
    List<Path> dirs = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path p = Path.of(entry);
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      if (Files.isDirectory(p)) {
        dirs.add(p);
      } else if (name.startsWith("spark-llm-")
          && name.endsWith(".jar")
          && !name.endsWith("-tests.jar")) {
        jars.add(p.toUri().toString());
      }
    }
    if (!dirs.isEmpty()) {
      jars.add(packDirectories(dirs).toUri().toString());
    }
    if (jars.isEmpty()) {
      throw new SparkLlmException(
          "--master local-cluster needs the project's classes on the classpath (run through"
              + " bin/spark-llm after a package build)");
    }
    return jars;
  }

  private static Path packDirectories(List<Path> dirs) {
    try {
      Path jar = Files.createTempFile("spark-llm-classes-", ".jar");
      jar.toFile().deleteOnExit();
      try (OutputStream os = Files.newOutputStream(jar);
          JarOutputStream out = new JarOutputStream(os)) {
        Set<String> seen = new HashSet<>();
        for (Path root : dirs) {
          try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
              String name = root.relativize(f).toString().replace('\\', '/');
              if (seen.add(name)) {
                out.putNextEntry(new JarEntry(name));
                Files.copy(f, out);
                out.closeEntry();
              }
            }
          }
        }
      }
      return jar;
    } catch (IOException e) {
      throw new SparkLlmException("cannot pack the classes for local-cluster executors: " + e, e);
    }
  }

  /**
   * For local-cluster, waits until every worker's executor has registered; fails within {@link
   * #EXECUTOR_WAIT_SECONDS} with where their logs are, instead of letting the first job wait
   * forever for resources.
   */
  public static void awaitExecutors(SparkSession spark) {
    String master = spark.sparkContext().master();
    Matcher m = LOCAL_CLUSTER.matcher(master);
    if (!m.matches()) {
      return;
    }
    int workers = Integer.parseInt(m.group(1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXECUTOR_WAIT_SECONDS);
    int up = 0;
    while (!spark.sparkContext().isStopped() && System.nanoTime() < deadline) {
      // The driver is listed as an executor too.
      up = spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
      if (up >= workers) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SparkLlmException("interrupted while waiting for local-cluster executors", e);
      }
    }
    String logs = executorLogs(spark.sparkContext().applicationId());
    throw new SparkLlmException(
        master
            + ": "
            + up
            + " of "
            + workers
            + " executors started within "
            + EXECUTOR_WAIT_SECONDS
            + " s"
            + (spark.sparkContext().isStopped() ? " (Spark gave up on them)" : "")
            + "; their logs are in "
            + logs
            + "; check that MB_PER_WORKER covers spark.executor.memory and that the machine has"
            + " the memory, or use --master local[N]");
  }

  /** Where local-cluster's in-process workers put executor output: $SPARK_HOME/work, or ./work. */
  static String executorLogs(String appId) {
    String home = System.getenv("SPARK_HOME");
    Path work = Path.of(home == null ? "." : home).toAbsolutePath().normalize().resolve("work");
    return work.resolve(appId) + "/*/stderr";
  }

  /**
   * A one-line explanation of a cluster failure Spark reports in its own terms, or null: a barrier
   * stage that could not get its slots.
   */
  public static String userMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BarrierJobSlotsNumberCheckFailed b) {
        return "the barrier stage needs "
            + b.requiredConcurrentTasks()
            + " concurrent task slots (one per replica) but the cluster has only "
            + b.maxConcurrentTasks()
            + " after waiting (spark.scheduler.barrier.maxConcurrentTasksCheck.interval x"
            + " .maxFailures); lower --replicas, give the cluster more executors or cores"
            + " (local-cluster[W,C,MB] has W*C slots), or raise those two settings if executors"
            + " are slow to start";
      }
    }
    return null;
  }
}
