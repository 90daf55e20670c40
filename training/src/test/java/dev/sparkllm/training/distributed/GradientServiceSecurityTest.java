package dev.sparkllm.training.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real sockets against the driver's gradient service: peers without the run's secret, with a wrong
 * one, replaying a recorded handshake, claiming absurd frames or attempt numbers, or saying nothing
 * are each dropped and counted, and a real run beside them still gets the exact averages.
 */
@Timeout(60)
class GradientServiceSecurityTest {
  static final ExecutorService POOL = Executors.newCachedThreadPool();
  static final Duration HANDSHAKE = Duration.ofMillis(400);

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  static GradientServer server(int world, PeerAuth auth, int maxConnections) throws IOException {
    return new GradientServer(
        "127.0.0.1",
        0,
        world,
        Duration.ofSeconds(20),
        auth,
        new GradientServer.Limits(1000, maxConnections, HANDSHAKE, 4));
  }

  static GradientClient client(GradientServer s, int rank, int attempt, PeerAuth auth) {
    return new GradientClient(
        "127.0.0.1", s.port(), rank, 2, attempt, WireDtype.FP32, Duration.ofSeconds(20), auth);
  }

  /** Two ranks averaging {@code steps} steps of known values; returns rank 0's averages. */
  static List<float[]> run(GradientServer s, PeerAuth auth, int attempt, int steps)
      throws Exception {
    List<Future<List<float[]>>> fs = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      int rank = r;
      fs.add(
          POOL.submit(
              () -> {
                List<float[]> out = new ArrayList<>();
                try (GradientClient c = client(s, rank, attempt, auth)) {
                  for (int step = 0; step < steps; step++) {
                    float[] g = new float[500];
                    for (int i = 0; i < g.length; i++) {
                      g[i] = (rank + 1) * 0.37f * (i + 1) / (step + 1);
                    }
                    out.add(c.average(step, g));
                    c.checksum(step, 42.0);
                  }
                  c.finish();
                }
                return out;
              }));
    }
    List<float[]> rank0 = fs.get(0).get();
    List<float[]> rank1 = fs.get(1).get();
    for (int i = 0; i < steps; i++) {
      assertThat(rank1.get(i)).containsExactly(rank0.get(i));
    }
    return rank0;
  }

  static void awaitCount(GradientServer s, String reason, long atLeast) throws Exception {
    long end = System.nanoTime() + 10_000_000_000L;
    while (s.rejections().getOrDefault(reason, 0L) < atLeast && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(s.rejections()).as("rejections").containsKey(reason);
    assertThat(s.rejections().get(reason)).isGreaterThanOrEqualTo(atLeast);
  }

  /** True when the server closed the connection (EOF) without sending a frame. */
  static boolean droppedWithoutAnswer(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[256];
    int total = 0;
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        total += n;
      }
    } catch (java.net.SocketException e) {
      return true; // reset by the server
    }
    // A handshake answer is 64 bytes (nonce + proof); a frame would be more.
    return total == 0 || total == 2 * HmacPeerAuth.NONCE;
  }

  static Socket connect(GradientServer s) throws IOException {
    Socket sock = new Socket();
    sock.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
    return sock;
  }

  /** A handshake that succeeded, and frames written on the channel afterwards. */
  static DataOutputStream authenticated(Socket sock, PeerAuth auth, int rank, int attempt)
      throws IOException {
    PeerAuth.Channel ch = auth.client(sock);
    DataOutputStream out = new DataOutputStream(ch.out());
    Wire.write(out, Wire.HELLO, rank, attempt, Wire.TEXT, 2, new byte[0]);
    Wire.Frame ok = Wire.read(new DataInputStream(ch.in()), 1);
    assertThat(ok.kind()).isEqualTo(Wire.OK);
    return out;
  }

  @Test
  void peerWithoutTheSecretIsDroppedBeforeAnyFrameIsRead() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8);
        Socket raw = connect(s)) {
      // An old-protocol hello straight away, as anyone who can reach the port could send.
      DataOutputStream out = new DataOutputStream(raw.getOutputStream());
      Wire.write(out, Wire.HELLO, 0, 0, Wire.TEXT, 2, new byte[0]);
      assertThat(droppedWithoutAnswer(raw)).isTrue();
      awaitCount(s, Rejections.AUTH, 1);
      assertThat(run(s, auth, 0, 2)).hasSize(2);
    }
  }

  @Test
  void wrongSecretFailsBothWays() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8)) {
      // The real client refuses a service that cannot prove the secret...
      assertThatThrownBy(() -> client(s, 0, 0, HmacPeerAuth.generate(false)))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("did not prove it knows this run's secret");
      awaitCount(s, Rejections.AUTH, 1);
      // ...and a forger who ignores that and sends a made-up proof is dropped too.
      try (Socket sock = connect(s)) {
        DataOutputStream out = new DataOutputStream(sock.getOutputStream());
        out.writeInt(0x53504C41);
        out.writeByte(1);
        out.write(new byte[HmacPeerAuth.NONCE]);
        new DataInputStream(sock.getInputStream()).readFully(new byte[2 * HmacPeerAuth.NONCE]);
        out.write(new byte[32]);
        out.flush();
        assertThat(droppedWithoutAnswer(sock)).isTrue();
      }
      awaitCount(s, Rejections.AUTH, 2);
    }
  }

  @Test
  void replayedHandshakeAndHelloFail() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8);
        Recorder tap = new Recorder(s.port())) {
      // A real replica connects through a tap that records everything it sends.
      try (Socket sock = new Socket("127.0.0.1", tap.port())) {
        authenticated(sock, auth, 0, 0);
      }
      byte[] recorded = tap.awaitRecorded(4 + 1 + HmacPeerAuth.NONCE + 32);
      try (Socket replay = connect(s)) {
        replay.getOutputStream().write(recorded);
        replay.getOutputStream().flush();
        assertThat(droppedWithoutAnswer(replay)).isTrue();
      }
      awaitCount(s, Rejections.AUTH, 1);
    }
  }

  @Test
  void bogusAttemptNumberCannotLockOutRetries() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8)) {
      assertThatThrownBy(() -> client(s, 0, Integer.MAX_VALUE, auth))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("out of range");
      awaitCount(s, Rejections.ATTEMPT, 1);
      List<float[]> first = run(s, auth, 0, 2);
      // Spark's retry (attempt 1) is still accepted and averages the same values.
      List<float[]> retry = run(s, auth, 1, 2);
      assertThat(retry.get(1)).containsExactly(first.get(1));
    }
  }

  @Test
  void oversizedFrameIsRefusedBeforeAllocationAndFailsTheAttemptAtOnce() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8);
        Socket sock = connect(s)) {
      Future<Throwable> other =
          POOL.submit(
              () -> {
                try (GradientClient c = client(s, 1, 0, auth)) {
                  c.average(0, new float[10]);
                  return null;
                } catch (SparkLlmException e) {
                  return e;
                }
              });
      DataOutputStream out = authenticated(sock, auth, 0, 0);
      // A header claiming 2 GiB of fp32 values: only the header is ever read.
      out.writeInt(Wire.MAGIC);
      out.writeByte(Wire.VERSION);
      out.writeByte(Wire.GRADS);
      out.writeInt(0);
      out.writeLong(0);
      out.writeByte(Wire.FP32);
      out.writeInt(Integer.MAX_VALUE / 4);
      out.writeInt(Integer.MAX_VALUE - 3);
      out.flush();
      long t0 = System.nanoTime();
      Throwable e = other.get();
      assertThat(e).hasMessageContaining("malformed frame").hasMessageContaining("at most 1000");
      // Not the 20 s round timeout.
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
      awaitCount(s, Rejections.MALFORMED, 1);
    }
  }

  @Test
  void malformedPayloadFailsTheAttemptWithTheReason() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer s = server(2, auth, 8);
        Socket sock = connect(s)) {
      Future<Throwable> other =
          POOL.submit(
              () -> {
                try (GradientClient c = client(s, 1, 0, auth)) {
                  c.average(0, new float[10]);
                  return null;
                } catch (SparkLlmException e) {
                  return e;
                }
              });
      DataOutputStream out = authenticated(sock, auth, 0, 0);
      // 10 fp32 values need 40 bytes, not 41.
      Wire.write(out, Wire.GRADS, 0, 0, Wire.FP32, 10, new byte[41]);
      assertThat(other.get()).hasMessageContaining("rank 0 sent a malformed frame");
      awaitCount(s, Rejections.MALFORMED, 1);
    }
  }

  @Test
  void silentConnectionsTimeOutAndFreeTheirSlots() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    // Room for the two replicas and one more.
    try (GradientServer s = server(2, auth, 3)) {
      List<Socket> silent = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        silent.add(connect(s));
      }
      // Three hold the slots, the fourth is turned away at once.
      awaitCount(s, Rejections.CONNECTIONS, 1);
      awaitCount(s, Rejections.TIMEOUT, 3);
      for (Socket sock : silent) {
        assertThat(droppedWithoutAnswer(sock)).isTrue();
        sock.close();
      }
      assertThat(run(s, auth, 0, 2)).hasSize(2);
    }
  }

  @Test
  void realRunUnderAttackGivesTheSameAveragesAsWithout() throws Exception {
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    List<float[]> quiet;
    try (GradientServer s = server(2, auth, 64)) {
      quiet = run(s, auth, 0, 5);
      assertThat(s.rejections()).isEmpty();
    }
    try (GradientServer s = server(2, auth, 64)) {
      List<Future<?>> attackers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        attackers.add(POOL.submit(() -> attack(s)));
      }
      List<float[]> attacked = run(s, auth, 0, 5);
      for (Future<?> f : attackers) {
        f.get();
      }
      for (int i = 0; i < quiet.size(); i++) {
        assertThat(attacked.get(i)).containsExactly(quiet.get(i));
      }
      awaitCount(s, Rejections.AUTH, 6);
      awaitCount(s, Rejections.TIMEOUT, 3);
      assertThat(s.failure()).isNull();
    }
  }

  /** No secret (a frame claiming 2 GiB), a wrong secret, and silence, one after another. */
  private static Void attack(GradientServer s) throws IOException {
    try (Socket sock = connect(s)) {
      DataOutputStream out = new DataOutputStream(sock.getOutputStream());
      Wire.write(out, Wire.HELLO, 0, 0, Wire.TEXT, 2, new byte[0]);
      out.writeInt(Wire.MAGIC);
      out.writeInt(Integer.MAX_VALUE);
      out.flush();
      droppedWithoutAnswer(sock);
    }
    try (Socket sock = connect(s)) {
      HmacPeerAuth.generate(false).client(sock);
    } catch (IOException expected) {
      // The service proves a secret this attacker does not share.
    }
    try (Socket sock = connect(s)) {
      droppedWithoutAnswer(sock);
    }
    return null;
  }

  @Test
  void encryptedTrafficGivesIdenticalAverages() throws Exception {
    byte[] secret = new byte[32];
    Arrays.fill(secret, (byte) 7);
    List<float[]> plain;
    List<float[]> sealed;
    try (GradientServer s = server(2, new HmacPeerAuth(secret, false), 8)) {
      plain = run(s, new HmacPeerAuth(secret, false), 0, 3);
    }
    HmacPeerAuth encrypted = new HmacPeerAuth(secret, true);
    try (GradientServer s = server(2, encrypted, 8)) {
      sealed = run(s, encrypted, 0, 3);
      assertThat(s.bytesReceived()).isGreaterThan(3 * 2 * 500 * 4);
    }
    for (int i = 0; i < plain.size(); i++) {
      assertThat(sealed.get(i)).containsExactly(plain.get(i));
    }
  }

  @Test
  void encryptedStreamsHideTheValuesAndRejectTampering() throws Exception {
    byte[] key = new byte[32];
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (OutputStream out = new SealedStreams.Out(wire, key)) {
      out.write("gradient 0.125".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
    }
    byte[] bytes = wire.toByteArray();
    assertThat(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain("gradient");
    byte[] copy = bytes.clone();
    assertThat(
            new String(
                new SealedStreams.In(new java.io.ByteArrayInputStream(copy), key).readNBytes(14),
                java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("gradient 0.125");
    bytes[bytes.length - 1] ^= 1;
    assertThatThrownBy(
            () -> new SealedStreams.In(new java.io.ByteArrayInputStream(bytes), key).read())
        .isInstanceOf(HmacPeerAuth.AuthException.class);
  }

  @Test
  void theSecretNeverShowsInToString() {
    byte[] secret = new byte[32];
    Arrays.fill(secret, (byte) 0x41);
    assertThat(new HmacPeerAuth(secret, false).toString())
        .doesNotContain("AAAA")
        .doesNotContain("65")
        .contains("*****");
  }

  /** A TCP tap between a client and the service that records what the client sends. */
  static final class Recorder implements AutoCloseable {
    private final ServerSocket listen = new ServerSocket(0, 4, null);
    private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();

    Recorder(int target) throws IOException {
      POOL.submit(
          () -> {
            try (Socket in = listen.accept();
                Socket out = new Socket("127.0.0.1", target)) {
              Future<?> back = POOL.submit(() -> pump(out.getInputStream(), in.getOutputStream()));
              byte[] buf = new byte[4096];
              InputStream src = in.getInputStream();
              for (int n; (n = src.read(buf)) >= 0; ) {
                synchronized (recorded) {
                  recorded.write(buf, 0, n);
                }
                out.getOutputStream().write(buf, 0, n);
              }
              back.cancel(true);
            }
            return null;
          });
    }

    private static Void pump(InputStream in, OutputStream out) throws IOException {
      in.transferTo(out);
      return null;
    }

    int port() {
      return listen.getLocalPort();
    }

    byte[] awaitRecorded(int atLeast) throws InterruptedException {
      for (int i = 0; i < 500; i++) {
        synchronized (recorded) {
          if (recorded.size() >= atLeast) {
            return recorded.toByteArray();
          }
        }
        Thread.sleep(10);
      }
      throw new AssertionError("tap recorded too little");
    }

    @Override
    public void close() throws IOException {
      listen.close();
    }
  }
}
