package dev.sparkllm.training.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * (Over 400 lines on purpose: it is one state machine — attempts, rounds, connections, failure —
 * whose invariants hold under one lock; spreading it over classes would spread those invariants.
 * The rounds themselves are {@link Round}, the frames {@link Wire}, accepting and authenticating
 * connections {@link ServiceGate}.)
 *
 * <p>The driver's gradient-averaging service. Each step it waits for the flattened gradients of all
 * {@code world} ranks, averages them in fp32 (accumulated in double, in rank order, so every run
 * gives the same bits) and sends the average back to every rank. Checksum rounds compare the ranks'
 * parameter checksums; a mismatch or a rank that misses the timeout fails every rank with a message
 * naming the ranks, and is kept in {@link #failure()} for the driver.
 *
 * <p>Connections say hello with the barrier stage's attempt number: a newer attempt (Spark retried
 * the stage) drops the old connections and pending rounds, so one server outlives retries; frames
 * from an older attempt, or for a step already averaged, are rejected.
 *
 * <p>Only the run's replicas get that far: every connection first proves the run's secret through
 * {@link PeerAuth} within the handshake timeout, at most {@link Limits#maxConnections()} may be
 * open, and each frame header is checked against its kind and {@link Limits#maxValues()} before its
 * payload is allocated. Whatever is turned away is counted by reason ({@link #rejections()}).
 *
 * <p>A rank whose connection ends without a goodbye (its executor JVM died, or the replica threw)
 * fails every other rank of that attempt at once, naming it: they would otherwise sit in a socket
 * read until the timeout while still holding the task slots the retried stage needs.
 */
public final class GradientServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GradientServer.class);

  private final int world;
  private final long timeoutMs;
  private final Limits limits;
  private final Rejections rejections = new Rejections();
  private final ServiceGate gate;
  private final Object replyLock = new Object();
  private float[] average;
  private byte[] reply;
  private final ScheduledExecutorService watchdog;
  private final Conn[] conns;
  private final Map<Long, Round> gradRounds = new HashMap<>();
  private final Map<Long, Round> sumRounds = new HashMap<>();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final AtomicLong reduceNanos = new AtomicLong();
  private int attempt = -1;
  private long lastAveraged = -1;
  private long latestStep = -1;
  private boolean[] finished;
  private volatile String failure;
  private volatile boolean logMetrics = true;
  private volatile boolean closed;

  /**
   * What the service accepts from a connection.
   *
   * @param maxValues the most values a gradient frame may carry (the model's parameters + 1)
   * @param maxConnections connections open at once, authenticated or not; more are closed at once
   * @param handshakeTimeout how long a new connection may take to prove itself and say hello
   * @param attemptWindow how far ahead of the current stage attempt a hello may be (Spark's
   *     spark.stage.maxConsecutiveAttempts); beyond it an attempt number is bogus
   */
  public record Limits(
      int maxValues, int maxConnections, Duration handshakeTimeout, int attemptWindow) {
    /** Limits for {@code world} replicas of a model with {@code parameters} parameters. */
    public static Limits forModel(long parameters, int world, int attemptWindow) {
      return new Limits(
          Math.toIntExact(parameters + 1),
          2 * world + 4,
          Duration.ofSeconds(10),
          Math.max(1, attemptWindow));
    }
  }

  public GradientServer(
      String bindHost, int port, int world, Duration timeout, PeerAuth auth, Limits limits)
      throws IOException {
    if (world < 1) {
      throw new IllegalArgumentException("world must be >= 1, got " + world);
    }
    this.world = world;
    this.timeoutMs = timeout.toMillis();
    this.limits = limits;
    this.conns = new Conn[world];
    this.finished = new boolean[world];
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gradient-server-watchdog");
              t.setDaemon(true);
              return t;
            });
    this.gate = new ServiceGate(bindHost, port, auth, limits, rejections, this::serve);
  }

  public int port() {
    return gate.port();
  }

  /** Off where rank 0 logs into the driver's own log already (local mode). */
  public void setMetricsLogging(boolean on) {
    this.logMetrics = on;
  }

  /**
   * The error that ended the current stage attempt (timeout, divergence, a lost or failed rank), or
   * null while it runs; a new attempt clears it.
   */
  public String failure() {
    return failure;
  }

  /** Connections and frames turned away so far, by reason ({@link Rejections}). */
  public Map<String, Long> rejections() {
    return rejections.snapshot();
  }

  public long bytesReceived() {
    return bytesIn.get();
  }

  public long bytesSent() {
    return bytesOut.get();
  }

  /**
   * Time spent decoding contributions, averaging and encoding averages. It adds to every step and
   * grows with the replica count; benchmarks separate it from time on the wire.
   */
  public long reduceNanos() {
    return reduceNanos.get();
  }

  /** One rank's connection; writes are serialized per connection. */
  private final class Conn {
    final Socket socket;
    final DataOutputStream out;
    final int rank;
    final int attempt;

    /** This rank's last payload and decoded values, reused from step to step. */
    byte[] payload;

    float[] values;

    Conn(Socket socket, DataOutputStream out, int rank, int attempt) {
      this.socket = socket;
      this.out = out;
      this.rank = rank;
      this.attempt = attempt;
    }

    void send(byte kind, long step, byte dtype, int count, byte[] payload) {
      // Sockets have no write timeout: a peer that stops reading would hold this thread (and the
      // reply lock) for good, so a write that takes longer than a step may is cut off.
      ScheduledFuture<?> guard;
      try {
        guard = watchdog.schedule(this::close, timeoutMs, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return; // closing
      }
      try {
        synchronized (this) {
          bytesOut.addAndGet(Wire.write(out, kind, rank, step, dtype, count, payload));
        }
      } catch (IOException e) {
        LOG.warn("gradient server: cannot send to rank {}: {}", rank, e.toString());
      } finally {
        guard.cancel(false);
      }
    }

    void sendText(byte kind, long step, String text) {
      byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      send(kind, step, Wire.TEXT, b.length, b);
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // Already gone.
      }
    }
  }

  private void serve(ServiceGate.Admitted a) {
    Conn conn = null;
    Object peer = a.peer();
    DataInputStream in = a.in();
    try {
      Wire.Frame hello = a.hello();
      bytesIn.addAndGet(hello.bytes());
      conn = register(a.socket(), a.out(), hello, peer);
      if (conn == null) {
        return;
      }
      while (!closed) {
        Wire.Frame f;
        try {
          f = Wire.read(in, limits.maxValues(), conn.payload);
        } catch (Wire.MalformedFrameException e) {
          malformed(conn, peer, e.getMessage());
          break;
        }
        if (f.kind() == Wire.METRICS) {
          // On a cluster rank 0's own log is an executor's; this puts the run's progress in the
          // driver log, where spark-submit and Airflow show it.
          if (logMetrics) {
            LOG.info("train metrics (rank {}): {}", conn.rank, f.text());
          }
          continue;
        }
        bytesIn.addAndGet(f.bytes());
        if (f.kind() == Wire.ERROR) {
          // The replica failed on its own (e.g. a NaN gradient norm): its reason, not "lost", is
          // what the other ranks and the driver report.
          failAttempt(conn, "rank " + conn.rank + " failed" + atStep() + ": " + f.text());
          break;
        }
        boolean more;
        try {
          more = handle(conn, f);
        } catch (RuntimeException e) {
          // A frame that cannot be decoded fails the attempt with the reason now, rather than
          // leaving the other ranks to wait for the timeout.
          malformed(conn, peer, e.toString());
          break;
        }
        if (!more) {
          break;
        }
      }
    } catch (IOException e) {
      if (!closed && !(e instanceof java.io.EOFException) && !(e instanceof SocketException)) {
        LOG.warn(
            "gradient server: connection of rank {} failed: {}",
            conn == null ? "?" : conn.rank,
            e.toString());
      }
    }
    if (conn != null) {
      connectionEnded(conn);
    }
  }

  private void malformed(Conn conn, Object peer, String why) {
    rejections.count(Rejections.MALFORMED, peer, "rank " + conn.rank + ": " + why);
    failAttempt(conn, "rank " + conn.rank + " sent a malformed frame" + atStep() + ": " + why);
  }

  /** Fails the other ranks of the current attempt when {@code conn} ended without a goodbye. */
  private void connectionEnded(Conn conn) {
    failAttempt(
        conn,
        "rank "
            + conn.rank
            + " disconnected from the gradient service"
            + atStep()
            + " without finishing (its executor was lost or the replica failed: see that"
            + " executor's log); the barrier stage fails and a retry resumes from"
            + " checkpoints/latest");
  }

  private synchronized String atStep() {
    return latestStep < 0 ? " before the first step" : " during step " + latestStep;
  }

  /** Tells every other rank of {@code conn}'s attempt that it is over, and why (once). */
  private void failAttempt(Conn conn, String msg) {
    List<Conn> targets;
    synchronized (this) {
      if (closed
          || conn.attempt != attempt
          || conns[conn.rank] != conn
          || finished[conn.rank]
          || failure != null) {
        return;
      }
      conns[conn.rank] = null;
      failure = msg;
      cancel(gradRounds);
      cancel(sumRounds);
      targets = current();
    }
    LOG.error("gradient server: {}", msg);
    for (Conn c : targets) {
      c.sendText(Wire.ERROR, -1, msg);
    }
  }

  private Conn register(Socket s, DataOutputStream raw, Wire.Frame hello, Object peer)
      throws IOException {
    if (hello.kind() != Wire.HELLO
        || hello.rank() < 0
        || hello.rank() >= world
        || hello.count() != world) {
      rejections.count(
          Rejections.HELLO, peer, "hello from rank " + hello.rank() + " of " + hello.count());
      Wire.writeText(
          raw,
          Wire.ERROR,
          hello.rank(),
          -1,
          "gradient service expects hello from ranks 0.."
              + (world - 1)
              + " of "
              + world
              + ", got rank "
              + hello.rank()
              + " of "
              + hello.count());
      return null;
    }
    int a = (int) hello.step();
    Conn conn;
    List<Conn> dropped = new ArrayList<>();
    synchronized (this) {
      // Spark numbers a stage's attempts from 0 and gives up after
      // spark.stage.maxConsecutiveAttempts: a number far beyond the current one is no retry, and
      // accepting it would make every real retry look stale.
      if (a < attempt || a > Math.max(attempt, 0) + limits.attemptWindow()) {
        String why =
            a < attempt
                ? "stale connection from stage attempt " + a + " (current attempt " + attempt + ")"
                : "stage attempt " + a + " is out of range (current attempt " + attempt + ")";
        rejections.count(Rejections.ATTEMPT, peer, why);
        Wire.writeText(raw, Wire.ERROR, hello.rank(), -1, why);
        return null;
      }
      if (a > attempt) {
        // Spark retried the barrier stage: forget the old attempt entirely.
        for (int r = 0; r < world; r++) {
          if (conns[r] != null) {
            dropped.add(conns[r]);
            conns[r] = null;
          }
        }
        cancel(gradRounds);
        cancel(sumRounds);
        attempt = a;
        lastAveraged = -1;
        latestStep = -1;
        finished = new boolean[world];
        failure = null;
        LOG.info("gradient server: stage attempt {} connecting", a);
      } else if (conns[hello.rank()] != null) {
        dropped.add(conns[hello.rank()]);
      }
      conn = new Conn(s, raw, hello.rank(), a);
      conns[hello.rank()] = conn;
    }
    dropped.forEach(Conn::close);
    conn.send(Wire.OK, -1, Wire.TEXT, 0, new byte[0]);
    return conn;
  }

  private static void cancel(Map<Long, Round> rounds) {
    rounds.values().forEach(r -> r.timer.cancel(false));
    rounds.clear();
  }

  /** Returns false when the connection must close. */
  private boolean handle(Conn conn, Wire.Frame f) {
    Round done;
    List<Conn> targets;
    synchronized (this) {
      String refusal = refusal(conn, f);
      if (refusal != null) {
        rejections.count(Rejections.REFUSED, "rank " + conn.rank, refusal);
        conn.sendText(Wire.ERROR, f.step(), refusal);
        return false;
      }
      if (f.kind() == Wire.BYE) {
        finished[conn.rank] = true;
        return false;
      }
      done = contribute(conn, f);
      if (done == null) {
        return true;
      }
      targets = current();
      settle(done);
    }
    reply(done, targets);
    return true;
  }

  /** Why {@code f} is refused (the connection then closes), or null. Holds the lock. */
  private String refusal(Conn conn, Wire.Frame f) {
    if (conn.attempt != attempt || conns[conn.rank] != conn) {
      return "stale frame from stage attempt "
          + conn.attempt
          + " (current attempt "
          + attempt
          + ")";
    }
    if (f.rank() != conn.rank) {
      return "frame claims rank " + f.rank() + " on the connection of rank " + conn.rank;
    }
    if (f.kind() == Wire.BYE) {
      return null;
    }
    boolean checksum = f.kind() == Wire.CHECKSUM;
    if (!checksum && f.kind() != Wire.GRADS) {
      return "unexpected frame kind " + f.kind();
    }
    if (!checksum && f.step() <= lastAveraged) {
      return "stale gradients for step "
          + f.step()
          + " from rank "
          + conn.rank
          + " (step "
          + lastAveraged
          + " is already averaged)";
    }
    if (failure != null) {
      // The attempt is over: a late frame gets the reason, not a round that cannot complete.
      return failure;
    }
    Round round = (checksum ? sumRounds : gradRounds).get(f.step());
    if (round != null && round.have[conn.rank]) {
      return "rank " + conn.rank + " sent step " + f.step() + " twice";
    }
    if (!checksum) {
      for (Round open : gradRounds.values()) {
        if (open.have[conn.rank]) {
          // Its values of that step live in the connection's reused buffer until averaged.
          return "rank "
              + conn.rank
              + " sent step "
              + f.step()
              + " before step "
              + open.step
              + " was averaged";
        }
      }
    }
    return null;
  }

  /**
   * Adds {@code f} to its step's round; returns the round once it is complete (every rank, or a
   * contribution that cannot be averaged), removed from the open rounds. Holds the lock.
   */
  private Round contribute(Conn conn, Wire.Frame f) {
    boolean checksum = f.kind() == Wire.CHECKSUM;
    latestStep = Math.max(latestStep, f.step());
    Map<Long, Round> rounds = checksum ? sumRounds : gradRounds;
    Round round = rounds.get(f.step());
    if (round == null) {
      round = new Round(f.step(), f.dtype(), f.count(), world, checksum);
      rounds.put(f.step(), round);
      Round started = round;
      round.timer =
          watchdog.schedule(() -> expire(rounds, started), timeoutMs, TimeUnit.MILLISECONDS);
    }
    if (!checksum && (f.count() != round.count || f.dtype() != round.dtype)) {
      round.error =
          "rank "
              + conn.rank
              + " sent "
              + f.count()
              + " gradient values for step "
              + f.step()
              + " but the first rank sent "
              + round.count
              + "; replicas must train the same model";
    } else if (checksum) {
      round.sums[conn.rank] = f.checksum();
    } else {
      long t0 = System.nanoTime();
      conn.payload = f.payload();
      conn.values = f.floats(conn.values);
      round.grads[conn.rank] = conn.values;
      reduceNanos.addAndGet(System.nanoTime() - t0);
    }
    round.have[conn.rank] = true;
    round.received++;
    if (round.error == null && round.received < world) {
      return null;
    }
    round.timer.cancel(false);
    rounds.remove(f.step());
    return round;
  }

  /** Records a complete round's outcome: the attempt's failure, or the step now averaged. */
  private void settle(Round round) {
    if (round.error == null && round.sums != null) {
      round.error = round.checksumMismatch();
    }
    if (round.error != null) {
      // The attempt is over: ranks closing after this error are not news (see failAttempt).
      failure = failure == null ? round.error : failure;
    } else if (round.grads != null) {
      lastAveraged = round.step;
    }
  }

  /**
   * Answers every rank: the error, the checksum's OK, or the average. Outside the lock: a complete
   * round is no longer shared, and averaging large buffers must not stall other ranks' frames.
   */
  private void reply(Round round, List<Conn> targets) {
    byte kind;
    byte dtype = Wire.TEXT;
    int count = 0;
    byte[] payload = new byte[0];
    if (round.error != null) {
      LOG.error("gradient server: {}", round.error);
      kind = Wire.ERROR;
      payload = round.error.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      count = payload.length;
    } else if (round.sums != null) {
      kind = Wire.OK;
    } else {
      // One average at a time (rounds complete in step order anyway): the output buffers are
      // reused from step to step.
      synchronized (replyLock) {
        long t0 = System.nanoTime();
        average = round.average(average);
        Arrays.fill(round.grads, null);
        reply = Wire.encode(round.dtype, FloatBuffer.wrap(average, 0, round.count), reply);
        reduceNanos.addAndGet(System.nanoTime() - t0);
        for (Conn c : targets) {
          c.send(Wire.AVERAGE, round.step, round.dtype, round.count, reply);
        }
      }
      return;
    }
    for (Conn c : targets) {
      c.send(kind, round.step, dtype, count, payload);
    }
  }

  private List<Conn> current() {
    List<Conn> out = new ArrayList<>();
    for (Conn c : conns) {
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  private void expire(Map<Long, Round> rounds, Round round) {
    List<Conn> targets;
    String msg;
    synchronized (this) {
      if (rounds.get(round.step) != round) {
        return;
      }
      rounds.remove(round.step);
      msg =
          String.format(
              "%s exchange for step %d timed out after %.1f s waiting for rank(s) %s"
                  + " (hung or dead replica; raise training.distributed.timeout_s if steps are slow)",
              round.grads == null ? "checksum" : "gradient",
              round.step,
              timeoutMs / 1000.0,
              round.missing());
      failure = failure == null ? msg : failure;
      targets = current();
    }
    LOG.error("gradient server: {}", msg);
    for (Conn c : targets) {
      c.sendText(Wire.ERROR, round.step, msg);
    }
  }

  @Override
  public void close() {
    closed = true;
    gate.close();
    watchdog.shutdownNow();
    synchronized (this) {
      current().forEach(Conn::close);
    }
  }
}
