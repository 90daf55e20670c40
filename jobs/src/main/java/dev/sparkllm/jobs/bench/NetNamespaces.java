package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A star network of Linux network namespaces with a rate limit on every port, so gradient traffic
 * crosses a link of a known bandwidth instead of loopback.
 *
 * <pre>
 *   host namespace (driver)          sllm-sw (the switch)              sllm-wK (worker K)
 *   sllm-d0 10.231.0.1  ─── veth ─── sllm-d1 ┐
 *                                             sllm-br0 (bridge)
 *                                            sllm-sK ─── veth ─── eth0 10.231.0.(10+K)
 * </pre>
 *
 * Every host, the driver included, has one shaped port: a {@code tbf} qdisc on the egress of both
 * ends of its veth pair limits each direction, like a full-duplex NIC on a switch. The driver's own
 * link is shaped too, because with averaging through the driver its NIC carries every replica's
 * frames and is the narrow point of a real cluster. Per-port shaping on {@code lo} would need the
 * {@code prio} qdisc, which these kernels lack.
 *
 * <p>Only names prefixed {@code sllm-} and addresses in 10.231.0.0/24 are used; {@link #close}
 * deletes them, a shutdown hook does so on Ctrl-C, and {@link #create} first removes what a killed
 * earlier run left behind; a file lock keeps a second topology on the same machine out. Needs root
 * and iproute2 ({@code ip}, {@code tc}).
 */
public final class NetNamespaces implements AutoCloseable {
  static final String PREFIX = "sllm-";
  static final String SWITCH = "sllm-sw";
  static final String DRIVER_LINK = "sllm-d0";
  static final String DRIVER_IP = "10.231.0.1";
  private static final long COMMAND_SECONDS = 20;

  /**
   * Held while a topology exists: the namespaces are machine-wide, so a second benchmark would
   * otherwise take the first one's for stale and delete them.
   */
  static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"), "sllm-netns.lock");

  private final int workers;
  private final FileChannel lockFile;
  private final FileLock lock;
  private final Thread hook;
  private volatile boolean closed;

  private NetNamespaces(int workers, FileChannel lockFile, FileLock lock) {
    this.workers = workers;
    this.lockFile = lockFile;
    this.lock = lock;
    this.hook = new Thread(this::deleteAll, "sllm-netns-cleanup");
  }

  /** The topology for {@code workers} worker namespaces, unshaped until {@link #shape}. */
  public static NetNamespaces create(int workers) {
    if (workers < 1) {
      throw new SparkLlmException("shaped links need at least one worker, got " + workers);
    }
    checkTools();
    FileChannel ch;
    FileLock held;
    try {
      ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new SparkLlmException("cannot open " + LOCK + " for the shaped links: " + e, e);
    }
    try {
      held = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      // Held by this JVM.
      held = null;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new SparkLlmException("cannot lock " + LOCK + " for the shaped links: " + e, e);
    }
    if (held == null) {
      closeQuietly(ch);
      throw new SparkLlmException(
          "another benchmark with --link is running on this machine (it holds "
              + LOCK
              + "); wait for it to finish, the network namespaces are machine-wide");
    }
    removeStale();
    NetNamespaces n = new NetNamespaces(workers, ch, held);
    Runtime.getRuntime().addShutdownHook(n.hook);
    try {
      n.build();
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  public int workers() {
    return workers;
  }

  public static String workerNamespace(int k) {
    return PREFIX + "w" + k;
  }

  public static String workerIp(int k) {
    return "10.231.0." + (10 + k);
  }

  /** {@code command} as a process in worker K's namespace. */
  public static List<String> inWorker(int k, List<String> command) {
    List<String> c = new ArrayList<>(List.of(ip(), "netns", "exec", workerNamespace(k)));
    c.addAll(command);
    return c;
  }

  /**
   * Limits every port to {@code link} in each direction; {@link Link#NONE} removes the limits (the
   * veths then run at memory speed).
   */
  public void shape(Link link) {
    for (String[] port : ports()) {
      String ns = port[0];
      String dev = port[1];
      if (link.bitsPerSecond() == 0) {
        List<String> del = new ArrayList<>(List.of(tc(), "qdisc", "del", "dev", dev, "root"));
        // Absent already is fine: "none" after "none", or a fresh link.
        Cmd.run(in(ns, del), COMMAND_SECONDS, true);
      } else {
        Cmd.run(
            in(
                ns,
                List.of(
                    tc(),
                    "qdisc",
                    "replace",
                    "dev",
                    dev,
                    "root",
                    "tbf",
                    "rate",
                    link.tcRate(),
                    "burst",
                    link.tcBurst(),
                    "latency",
                    "100ms")),
            COMMAND_SECONDS,
            false);
      }
    }
  }

  /**
   * Bytes each host's port has sent and received so far: "driver" and "w0".."wN-1". Read on the
   * switch's side of each veth, where what the switch transmits is what the host receives.
   */
  public Map<String, long[]> counters() {
    String json =
        Cmd.run(in(SWITCH, List.of(ip(), "-j", "-s", "link", "show")), COMMAND_SECONDS, false);
    Map<String, long[]> out = new LinkedHashMap<>();
    try {
      for (JsonNode dev : Json.MAPPER.readTree(json)) {
        String name = dev.path("ifname").asText();
        JsonNode s = dev.path("stats64");
        long fromHost = s.path("rx").path("bytes").asLong();
        long toHost = s.path("tx").path("bytes").asLong();
        if (name.equals("sllm-d1")) {
          out.put("driver", new long[] {fromHost, toHost});
        } else if (name.startsWith("sllm-s")) {
          out.put("w" + name.substring("sllm-s".length()), new long[] {fromHost, toHost});
        }
      }
    } catch (IOException e) {
      throw new SparkLlmException("cannot read the link counters of " + SWITCH + ": " + e, e);
    }
    return out;
  }

  /** Deletes every namespace and link of this topology and waits until they are gone. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      deleteAll();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running or ran.
      }
      try {
        lock.release();
      } catch (IOException e) {
        // Closing the channel releases it too.
      }
      closeQuietly(lockFile);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // Nothing held that the process's exit would not release.
    }
  }

  private void deleteAll() {
    removeStale();
  }

  private void build() {
    addNamespace(SWITCH);
    run(in(SWITCH, List.of(ip(), "link", "add", "sllm-br0", "type", "bridge")));
    run(in(SWITCH, List.of(ip(), "link", "set", "sllm-br0", "up")));
    run(
        List.of(
            ip(),
            "link",
            "add",
            DRIVER_LINK,
            "type",
            "veth",
            "peer",
            "name",
            "sllm-d1",
            "netns",
            SWITCH));
    run(List.of(ip(), "addr", "add", DRIVER_IP + "/24", "dev", DRIVER_LINK));
    run(List.of(ip(), "link", "set", DRIVER_LINK, "up"));
    run(in(SWITCH, List.of(ip(), "link", "set", "sllm-d1", "master", "sllm-br0", "up")));
    for (int k = 0; k < workers; k++) {
      String ns = workerNamespace(k);
      String port = "sllm-s" + k;
      addNamespace(ns);
      run(
          in(
              SWITCH,
              List.of(
                  ip(), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)));
      run(in(SWITCH, List.of(ip(), "link", "set", port, "master", "sllm-br0", "up")));
      run(in(ns, List.of(ip(), "addr", "add", workerIp(k) + "/24", "dev", "eth0")));
      run(in(ns, List.of(ip(), "link", "set", "eth0", "up")));
    }
  }

  private static void addNamespace(String ns) {
    run(List.of(ip(), "netns", "add", ns));
    // Executors and their worker talk over the namespace's own loopback.
    run(in(ns, List.of(ip(), "link", "set", "lo", "up")));
  }

  /** {namespace or null for the host, device} of every shaped egress. */
  private List<String[]> ports() {
    List<String[]> p = new ArrayList<>();
    p.add(new String[] {null, DRIVER_LINK});
    p.add(new String[] {SWITCH, "sllm-d1"});
    for (int k = 0; k < workers; k++) {
      p.add(new String[] {SWITCH, "sllm-s" + k});
      p.add(new String[] {workerNamespace(k), "eth0"});
    }
    return p;
  }

  /**
   * Removes every {@code sllm-} namespace (ending what still runs inside it: only this benchmark
   * starts processes there) and host link, then waits until the kernel has let go of them;
   * namespace deletion is asynchronous.
   */
  static void removeStale() {
    for (String ns : namespaces()) {
      String pids = Cmd.run(List.of(ip(), "netns", "pids", ns), COMMAND_SECONDS, true);
      for (String pid : pids.split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      Cmd.run(List.of(ip(), "netns", "del", ns), COMMAND_SECONDS, true);
    }
    for (String link : hostLinks()) {
      Cmd.run(List.of(ip(), "link", "del", link), COMMAND_SECONDS, true);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!(namespaces().isEmpty() && hostLinks().isEmpty())) {
      if (System.nanoTime() > deadline) {
        throw new SparkLlmException(
            "could not delete the benchmark's network namespaces/links "
                + namespaces()
                + hostLinks()
                + "; remove them with `ip netns del NAME` / `ip link del NAME`");
      }
      sleep(100);
    }
  }

  /** The {@code sllm-} namespaces that exist now. */
  static List<String> namespaces() {
    List<String> out = new ArrayList<>();
    for (String line :
        Cmd.run(List.of(ip(), "netns", "list"), COMMAND_SECONDS, false).split("\n")) {
      String name = line.trim().split("\\s+")[0];
      if (name.startsWith(PREFIX)) {
        out.add(name);
      }
    }
    return out;
  }

  /** The {@code sllm-} links in the host namespace now. */
  static List<String> hostLinks() {
    List<String> out = new ArrayList<>();
    for (String line :
        Cmd.run(List.of(ip(), "-o", "link", "show"), COMMAND_SECONDS, false).split("\n")) {
      // "6: sllm-d0@if3: <...>"
      String[] f = line.split(":\\s+", 3);
      if (f.length > 1) {
        String name = f[1].replaceAll("@.*", "");
        if (name.startsWith(PREFIX)) {
          out.add(name);
        }
      }
    }
    return out;
  }

  /** Fails with one line unless this process can manage namespaces. */
  static void checkTools() {
    String uid = Cmd.run(List.of("id", "-u"), COMMAND_SECONDS, false).trim();
    if (!uid.equals("0")) {
      throw new SparkLlmException(
          "--link needs root (network namespaces and tc qdiscs); running as uid "
              + uid
              + ": run as root (e.g. sudo bin/spark-llm ...) or leave out --link");
    }
    for (String tool : List.of(ip(), tc())) {
      if (!Files.isExecutable(Path.of(tool))) {
        throw new SparkLlmException(
            "--link needs iproute2's `"
                + Path.of(tool).getFileName()
                + "` (not found in /usr/sbin, /sbin, /usr/bin, /bin); install iproute2");
      }
    }
  }

  static String ip() {
    return tool("ip");
  }

  static String tc() {
    return tool("tc");
  }

  private static String tool(String name) {
    for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return "/usr/sbin/" + name;
  }

  private static List<String> in(String ns, List<String> command) {
    if (ns == null) {
      return command;
    }
    List<String> c = new ArrayList<>(List.of(ip(), "netns", "exec", ns));
    c.addAll(command);
    return c;
  }

  private static void run(List<String> command) {
    Cmd.run(command, COMMAND_SECONDS, false);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SparkLlmException("interrupted while setting up shaped links", e);
    }
  }
}
