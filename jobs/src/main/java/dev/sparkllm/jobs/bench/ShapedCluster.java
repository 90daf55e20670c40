package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.master.Master;
import org.apache.spark.rpc.RpcEnv;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark standalone cluster whose workers sit behind shaped links: the Master in this JVM, in the
 * driver's namespace on {@link NetNamespaces#DRIVER_IP}, and one one-core Worker JVM per worker
 * namespace. Executors inherit their worker's namespace, so every byte between a replica and the
 * driver (or another replica) crosses two shaped ports. Built from this JVM's classpath, no Spark
 * distribution needed. {@link #close} stops every process it started, then deletes the namespaces.
 */
public final class ShapedCluster implements AutoCloseable {
  /** How long the executors may take to come up before the run fails. */
  static final long START_SECONDS = 90;

  private final NetNamespaces nets;
  private final Path logs;
  private final List<Process> processes = new ArrayList<>();
  private final int port;
  // The Master runs in this JVM (as local-cluster's does): one JVM start fewer per run.
  private RpcEnv master;

  private ShapedCluster(NetNamespaces nets, Path logs, int port) {
    this.nets = nets;
    this.logs = logs;
    this.port = port;
  }

  /**
   * Namespaces for {@code workers} replicas, the Master and the Workers, each Worker offering one
   * core and {@code workerMemoryMb}. Logs go under {@code logs}.
   */
  public static ShapedCluster start(int workers, int workerMemoryMb, Path logs) {
    NetNamespaces nets = NetNamespaces.create(workers);
    ShapedCluster c = null;
    try {
      Files.createDirectories(logs);
      c = new ShapedCluster(nets, logs, freePort());
      c.launch(workerMemoryMb);
      return c;
    } catch (IOException | RuntimeException e) {
      if (c != null) {
        c.close();
      } else {
        nets.close();
      }
      if (e instanceof SparkLlmException s) {
        throw s;
      }
      throw new SparkLlmException("cannot start the shaped Spark cluster: " + e, e);
    }
  }

  public NetNamespaces nets() {
    return nets;
  }

  public String masterUrl() {
    return "spark://" + NetNamespaces.DRIVER_IP + ":" + port;
  }

  /**
   * What the driver's session needs on top of the executor classpath settings: this cluster as
   * master, the driver and its services (the gradient server included) on the driver's shaped
   * address, and one single-core executor per worker.
   */
  public Map<String, String> driverSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("spark.driver.host", NetNamespaces.DRIVER_IP);
    s.put("spark.driver.bindAddress", NetNamespaces.DRIVER_IP);
    s.put("spark.executor.cores", "1");
    s.put("spark.cores.max", String.valueOf(nets.workers()));
    s.put("spark.executor.memory", "1g");
    return s;
  }

  /** Waits until every worker's executor has registered with {@code spark}. */
  public void awaitExecutors(SparkSession spark) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
    int up = 0;
    while (System.nanoTime() < deadline && !spark.sparkContext().isStopped()) {
      // The driver is listed too.
      up = spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
      if (up >= nets.workers()) {
        return;
      }
      NetNamespaces.sleep(200);
    }
    throw new SparkLlmException(
        up
            + " of "
            + nets.workers()
            + " executors behind shaped links started within "
            + START_SECONDS
            + " s; see the logs in "
            + logs);
  }

  private void launch(int workerMemoryMb) throws IOException {
    Path home = Files.createDirectories(logs.resolve("spark-home"));
    master =
        Master.startRpcEnvAndEndpoint(NetNamespaces.DRIVER_IP, port, 0, new SparkConf(false))._1();
    for (int k = 0; k < nets.workers(); k++) {
      List<String> worker = new ArrayList<>(ChildJava.command("-Xmx512m"));
      worker.addAll(
          List.of(
              "org.apache.spark.deploy.worker.Worker",
              masterUrl(),
              "--host",
              NetNamespaces.workerIp(k),
              "--cores",
              "1",
              "--memory",
              workerMemoryMb + "m",
              "--webui-port",
              "0",
              "--work-dir",
              Files.createDirectories(logs.resolve("worker-" + k)).toString()));
      spawn(NetNamespaces.inWorker(k, worker), home, "worker-" + k + ".log");
    }
  }

  /**
   * The launcher builds executor commands outside a Spark distribution when SPARK_TESTING is set
   * and it is told the Scala version; SPARK_HOME only has to exist.
   */
  private void spawn(List<String> command, Path home, String log) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logs.resolve(log).toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_TESTING", "1");
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    Process p = pb.start();
    p.getOutputStream().close();
    processes.add(p);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(NetNamespaces.DRIVER_IP), 0));
      return s.getLocalPort();
    }
  }

  /** Stops the Workers (and the executors they started), the Master, then the namespaces. */
  @Override
  public void close() {
    try {
      for (int i = processes.size() - 1; i >= 0; i--) {
        stop(processes.get(i).toHandle());
      }
      processes.clear();
      if (master != null) {
        master.shutdown();
        master.awaitTermination();
        master = null;
      }
    } finally {
      nets.close();
    }
  }

  private static void stop(ProcessHandle p) {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(p);
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : tree) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }
}
