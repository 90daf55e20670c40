package dev.sparkllm.training.distributed;

import dev.sparkllm.core.SparkLlmException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * A replica's two ring connections: to its successor (rank + 1 mod N), on which it sends, and from
 * its predecessor, from which it receives. Every replica listens first, the addresses are exchanged
 * (on Spark through {@code BarrierTaskContext.allGather}), then each connects to its successor
 * while accepting its predecessor. Both sides authenticate through the {@link PeerAuth} before a
 * byte of the ring hello is read; the hello then names rank, world and stage attempt, so a
 * connection from another run or an older attempt is dropped, not averaged.
 */
final class RingLinks implements AutoCloseable {
  static final int MAGIC = 0x53504C52; // "SPLR"
  static final byte HELLO = 0;

  /** magic, kind, rank, world, attempt */
  static final int HELLO_BYTES = 4 + 1 + 4 + 4 + 4;

  /**
   * How long an accepted connection may take to authenticate and say hello: a silent stranger must
   * not keep the real predecessor waiting for the whole step timeout.
   */
  static final int HANDSHAKE_TIMEOUT_MS = 10_000;

  final int rank;
  final int world;
  private final ServerSocket listener;
  private Socket next;
  private Socket prev;
  DataOutputStream out;
  DataInputStream in;

  /**
   * @param host the address the other replicas reach this one at (bound too)
   * @param port first port to try (the next {@link Transport.Options#RING_PORT_SPAN} follow); 0 =
   *     any free port
   * @param allGather hands this replica's address to every replica and returns all, in rank order
   */
  RingLinks(
      int rank,
      int world,
      int attempt,
      String host,
      int port,
      Function<String, List<String>> allGather,
      PeerAuth auth,
      Duration timeout) {
    this.rank = rank;
    this.world = world;
    this.listener = listen(host, port, rank);
    int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    try {
      List<String> peers = allGather.apply(host + ":" + listener.getLocalPort());
      if (peers.size() != world) {
        throw new SparkLlmException(
            "ring: got " + peers.size() + " peer addresses for " + world + " replicas");
      }
      listener.setSoTimeout(timeoutMs);
      // Accept on another thread: an authentication handshake needs both ends talking, and the
      // predecessor is itself busy connecting to its own successor.
      CompletableFuture<Socket> accepted =
          CompletableFuture.supplyAsync(() -> acceptPredecessor(attempt, auth, timeoutMs));
      String to = peers.get((rank + 1) % world);
      next = connect(to, timeoutMs);
      PeerAuth.Channel c = auth.client(next);
      out = new DataOutputStream(c.out());
      out.writeInt(MAGIC);
      out.writeByte(HELLO);
      out.writeInt(rank);
      out.writeInt(world);
      out.writeInt(attempt);
      out.flush();
      prev = accepted.get();
      // Nobody else may join once the ring is closed.
      closeQuietly(listener);
    } catch (IOException e) {
      close();
      throw new SparkLlmException(
          "ring: rank "
              + rank
              + " cannot connect to its peers ("
              + e
              + "); executors must reach each other on training.distributed.ring_port",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new SparkLlmException("ring: rank " + rank + " interrupted while connecting", e);
    } catch (ExecutionException | RuntimeException e) {
      close();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw cause instanceof SparkLlmException s
          ? s
          : new SparkLlmException("ring: rank " + rank + " cannot connect: " + cause, cause);
    }
  }

  private static ServerSocket listen(String host, int port, int rank) {
    int tries = port == 0 ? 1 : Transport.Options.RING_PORT_SPAN;
    IOException last = null;
    for (int p = port; p < port + tries; p++) {
      ServerSocket s = null;
      try {
        s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(host), p), 4);
        return s;
      } catch (IOException e) {
        last = e;
        closeQuietly(s);
      }
    }
    throw new SparkLlmException(
        "ring: rank "
            + rank
            + " cannot listen on "
            + host
            + (port == 0
                ? " (any port)"
                : " ports "
                    + port
                    + ".."
                    + (port + tries - 1)
                    + " (training.distributed.ring_port)")
            + ": "
            + last);
  }

  private static Socket connect(String address, int timeoutMs) throws IOException {
    int colon = address.lastIndexOf(':');
    Socket s = new Socket();
    try {
      s.connect(
          new InetSocketAddress(
              address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
          Math.min(timeoutMs, 60_000));
      s.setTcpNoDelay(true);
      s.setSoTimeout(timeoutMs);
      return s;
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw e;
    }
  }

  /**
   * Accepts until the predecessor of this attempt has proven itself; anything else (a stranger, a
   * failed handshake, a hello naming another rank, world or attempt) is closed and skipped.
   */
  private Socket acceptPredecessor(int attempt, PeerAuth auth, int timeoutMs) {
    int expected = (rank + world - 1) % world;
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    String lastRefusal = "nobody connected";
    while (System.nanoTime() < deadline) {
      Socket s;
      try {
        s = listener.accept();
      } catch (SocketTimeoutException e) {
        break;
      } catch (IOException e) {
        throw new SparkLlmException("ring: rank " + rank + " stopped accepting: " + e, e);
      }
      try {
        s.setTcpNoDelay(true);
        s.setSoTimeout(Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS));
        PeerAuth.Channel c = auth.server(s);
        DataInputStream din = new DataInputStream(new BufferedInputStream(c.in(), 1 << 16));
        int magic = din.readInt();
        byte kind = din.readByte();
        int r = din.readInt();
        int w = din.readInt();
        int a = din.readInt();
        if (magic == MAGIC && kind == HELLO && r == expected && w == world && a == attempt) {
          s.setSoTimeout(timeoutMs);
          in = din;
          return s;
        }
        lastRefusal =
            String.format(
                "refused a hello (magic 0x%08x, rank %d of %d, attempt %d)", magic, r, w, a);
      } catch (IOException e) {
        lastRefusal = "refused a connection: " + e;
      }
      closeQuietly(s);
    }
    throw new SparkLlmException(
        "ring: rank "
            + rank
            + " waited "
            + timeoutMs / 1000
            + " s for its predecessor rank "
            + expected
            + " ("
            + lastRefusal
            + ")");
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // Closing anyway.
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(listener);
    closeQuietly(next);
    closeQuietly(prev);
  }
}
