package dev.sparkllm.training.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sparkllm.core.SparkLlmException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ring all-reduce among replicas as threads of this JVM, over real loopback sockets. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RingExchangeTest {
  static final ExecutorService POOL = Executors.newCachedThreadPool();
  static final String HOST = "127.0.0.1";
  // Ring peers and the driver's service prove themselves with the run's secret, as in a real run.
  static final HmacPeerAuth AUTH = HmacPeerAuth.generate(false);

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  static DistributedOptions options(String wire, int timeoutS) {
    return new DistributedOptions(0, WireDtype.parse(wire), Duration.ofSeconds(timeoutS), 0, 0);
  }

  /** {@code BarrierTaskContext.allGather} for threads: everyone's string, in rank order. */
  static Function<Integer, Function<String, List<String>>> gather(int world) {
    String[] all = new String[world];
    CyclicBarrier barrier = new CyclicBarrier(world);
    return rank ->
        address -> {
          all[rank] = address;
          try {
            barrier.await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return List.of(all);
        };
  }

  /**
   * Connects {@code world} ranks (driver control service + ring) and runs {@code body} on each;
   * returns the results in rank order. Every rank says goodbye to the driver afterwards.
   */
  static <T> List<T> ring(
      GradientServer server,
      int world,
      DistributedOptions o,
      int sub,
      BiFunction<Integer, RingExchange, T> body)
      throws Exception {
    Function<Integer, Function<String, List<String>>> gather = gather(world);
    List<Future<T>> fs = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      int rank = r;
      fs.add(
          POOL.submit(
              () -> {
                try (GradientClient c =
                        new GradientClient(
                            HOST, server.port(), rank, world, 0, o.wire(), o.timeout(), AUTH);
                    RingExchange x =
                        new RingExchange(
                            c, rank, world, 0, o, HOST, 0, gather.apply(rank), AUTH, sub)) {
                  T t = body.apply(rank, x);
                  c.finish();
                  return t;
                }
              }));
    }
    List<T> out = new ArrayList<>();
    for (Future<T> f : fs) {
      out.add(f.get());
    }
    return out;
  }

  /** Rank {@code rank}'s gradients: arrays of the given sizes, seeded gaussians. */
  static float[][] grads(int rank, int... sizes) {
    Random rnd = new Random(1000 + rank);
    float[][] g = new float[sizes.length][];
    for (int i = 0; i < sizes.length; i++) {
      g[i] = new float[sizes[i]];
      for (int j = 0; j < sizes[i]; j++) {
        g[i][j] = (float) rnd.nextGaussian();
      }
    }
    return g;
  }

  /** One reduce at {@code step}: the averaged gradients, concatenated, then the mean loss. */
  static float[] reduce(RingExchange x, long step, int rank, int... sizes) {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> map = new LinkedHashMap<>();
      float[][] g = grads(rank, sizes);
      for (int i = 0; i < g.length; i++) {
        map.put("p" + i, m.create(g[i], new Shape(g[i].length)));
      }
      double loss = x.reduce(step, 1.5 + rank, map);
      float[] out = new float[Arrays.stream(sizes).sum() + 1];
      int off = 0;
      for (NDArray a : map.values()) {
        float[] v = a.toFloatArray();
        System.arraycopy(v, 0, out, off, v.length);
        off += v.length;
      }
      out[off] = (float) loss;
      return out;
    }
  }

  /** What the driver's service computes: the mean accumulated in double in rank order. */
  static float[] driverAverage(int world, int... sizes) {
    int n = Arrays.stream(sizes).sum();
    double[] sum = new double[n + 1];
    for (int r = 0; r < world; r++) {
      int off = 0;
      for (float[] a : grads(r, sizes)) {
        for (float v : a) {
          sum[off++] += v;
        }
      }
      sum[n] += (float) (1.5 + r);
    }
    float[] out = new float[n + 1];
    for (int i = 0; i <= n; i++) {
      out[i] = (float) (sum[i] / world);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4})
  void averageEqualsTheDriversWithinFp32ToleranceAndIsTheSameBitsEveryRun(int world)
      throws Exception {
    // 1013 gradients + the loss: chunks of unequal length, cut into sub-chunks of 50 values.
    int[] sizes = {600, 413};
    List<float[]> first;
    List<float[]> second;
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            world,
            Duration.ofSeconds(30),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, world, 4))) {
      first = ring(s, world, options("fp32", 30), 50, (r, x) -> reduce(x, 0, r, sizes));
    }
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            world,
            Duration.ofSeconds(30),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, world, 4))) {
      second = ring(s, world, options("fp32", 30), 50, (r, x) -> reduce(x, 0, r, sizes));
    }
    float[] reference = driverAverage(world, sizes);
    for (int r = 0; r < world; r++) {
      // Every replica holds the same bits (or their weights would drift apart), run after run.
      assertThat(first.get(r)).containsExactly(first.get(0));
      assertThat(second.get(r)).containsExactly(first.get(0));
    }
    float[] got = first.get(0);
    for (int i = 0; i < got.length; i++) {
      assertThat(got[i])
          .as("value %d", i)
          .isCloseTo(reference[i], org.assertj.core.data.Offset.offset(2e-6f));
    }
    assertThat(got[got.length - 1]).isEqualTo((float) (1.5 + (world - 1) / 2.0));
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4})
  void eachReplicaMovesTwoNMinusOneOverNOfTheGradientsAndTheDriverNone(int world) throws Exception {
    int sub = 40;
    int p = world * sub * 3; // gradients + loss: N chunks of 3 full sub-chunks each
    List<long[]> bytes;
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            world,
            Duration.ofSeconds(30),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, world, 4))) {
      bytes =
          ring(
              s,
              world,
              options("fp32", 30),
              sub,
              (r, x) -> {
                long[] before = {x.bytesSent(), x.bytesReceived()};
                reduce(x, 3, r, p - 1);
                Map<String, Object> m = x.windowMetrics(1_000_000_000L, 1);
                reduce(x, 4, r, p - 1);
                return new long[] {
                  before[0],
                  before[1],
                  (long) m.get("bytes_sent"),
                  (long) m.get("bytes_received"),
                  (long) m.get("driver_bytes_sent"),
                  (long) m.get("driver_bytes_received"),
                  x.bytesSent()
                };
              });
      long perExchange = 2L * (world - 1) * (p / world) * 4 + 2L * (world - 1) * 3 * 21;
      assertThat(perExchange)
          .isEqualTo(RingAllReduce.bytesPerAverage(p, world, 0, WireDtype.FP32, sub));
      for (long[] b : bytes) {
        assertThat(b[0]).isZero(); // connecting moves no data frames
        assertThat(b[1]).isZero();
        assertThat(b[2]).isEqualTo(perExchange);
        assertThat(b[3]).isEqualTo(perExchange);
        assertThat(b[4]).isZero(); // no checksum due: nothing to the driver during the step
        assertThat(b[5]).isZero();
        assertThat(b[6]).isEqualTo(2 * perExchange);
      }
      // The driver saw a hello and a goodbye per rank and answered the hello: control only.
      GradientServerTest.awaitUntil(() -> s.bytesReceived() >= 2L * world * Wire.HEADER_BYTES);
      assertThat(s.bytesReceived()).isEqualTo(2L * world * Wire.HEADER_BYTES);
      assertThat(s.bytesSent()).isEqualTo((long) world * Wire.HEADER_BYTES);
      assertThat(s.reduceNanos()).isZero();
    }
  }

  @Test
  void oneReplicaExchangesNothing() throws Exception {
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            1,
            Duration.ofSeconds(30),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, 1, 4))) {
      List<Object[]> got =
          ring(
              s,
              1,
              options("fp32", 30),
              0,
              (r, x) -> new Object[] {reduce(x, 0, r, 5), x.bytesSent(), x.bytesReceived()});
      float[] own = grads(0, 5)[0];
      float[] v = (float[]) got.get(0)[0];
      assertThat(Arrays.copyOf(v, 5)).containsExactly(own);
      assertThat(v[5]).isEqualTo(1.5f);
      assertThat((long) got.get(0)[1]).isZero();
      assertThat((long) got.get(0)[2]).isZero();
    }
  }

  @Test
  void aBadTransportOrRingPortIsAOneLineErrorNamingTheKey() {
    assertThatThrownBy(() -> Transport.parse("nccl"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessage("training.distributed.transport must be driver or ring, got 'nccl'");
    assertThatThrownBy(() -> new Transport.Options(Transport.RING, 70000))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageStartingWith("training.distributed.ring_port must be 0 (any free port)");
    assertThat(Transport.parse("ring")).isEqualTo(Transport.RING);
  }

  @Test
  void bf16OnTheRingHalvesTheBytesAndEveryReplicaGetsTheSameBits() throws Exception {
    int world = 3;
    int[] sizes = {300, 119}; // + loss = 420 values, 140 per chunk
    List<Object[]> got;
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            world,
            Duration.ofSeconds(30),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, world, 4))) {
      got =
          ring(
              s,
              world,
              options("bf16", 30),
              64,
              (r, x) -> new Object[] {reduce(x, 1, r, sizes), x.bytesSent()});
    }
    float[] reference = driverAverage(world, sizes);
    float[] v = (float[]) got.get(0)[0];
    for (Object[] g : got) {
      assertThat((float[]) g[0]).containsExactly(v);
      // 2 chunks of 140 bf16 values each way, 3 sub-chunk headers per chunk (64 + 64 + 12)
      assertThat((long) g[1]).isEqualTo(4L * 140 * 2 + 4L * 3 * 21);
    }
    for (int i = 0; i < v.length; i++) {
      // Three bf16 roundings on the way (two partial sums and the average): about 2^-8 each.
      assertThat(Math.abs(v[i] - reference[i]))
          .isLessThan(0.03f * Math.max(1f, Math.abs(reference[i])));
      assertThat(Wire.fromBf16(Wire.toBf16(v[i]))).isEqualTo(v[i]);
    }
  }

  @Test
  void aPeerThatDiesMidRoundFailsEveryRankAtOnceNamingIt() throws Exception {
    // Rank 0 neither reads from nor sends to rank 2: it learns the name from its predecessor.
    int world = 4;
    // Far beyond the test's run: only the lost connection can end the others' wait.
    DistributedOptions o = options("fp32", 600);
    try (GradientServer s =
        new GradientServer(
            HOST,
            0,
            world,
            Duration.ofMinutes(10),
            AUTH,
            GradientServer.Limits.forModel(1 << 20, world, 4))) {
      long t0 = System.nanoTime();
      List<String> errors =
          ring(
              s,
              world,
              o,
              16,
              (r, x) -> {
                if (r == 2) {
                  x.close(); // its executor died: the ring sockets close, no frame of step 5
                  return "";
                }
                try {
                  reduce(x, 5, r, 500);
                  return "no error";
                } catch (SparkLlmException e) {
                  return e.getMessage();
                }
              });
      assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
      assertThat(errors).hasSize(4);
      assertThat(List.of(errors.get(0), errors.get(1), errors.get(3)))
          .allSatisfy(
              e ->
                  assertThat(e)
                      .startsWith("ring: rank 2 lost at step 5")
                      .contains("checkpoints/latest"));
    }
  }

  @Test
  void strangersAndFramesThatDoNotFitAreRefusedBeforeAnythingIsAllocated() throws Exception {
    // A step timeout far longer than the handshake's: the silent connection must be dropped after
    // the latter (RingLinks.HANDSHAKE_TIMEOUT_MS), not hold up the ring for the former.
    DistributedOptions o = options("fp32", 120);
    long t0 = System.nanoTime();
    try (GradientServer s =
            new GradientServer(
                HOST,
                0,
                2,
                Duration.ofSeconds(20),
                AUTH,
                GradientServer.Limits.forModel(1 << 20, 2, 4));
        ServerSocket fakeListener = new ServerSocket()) {
      fakeListener.bind(new InetSocketAddress(HOST, 0));
      String fake = HOST + ":" + fakeListener.getLocalPort();
      String[] rank0 = new String[1];
      // Rank 0 is real; rank 1 is this test, speaking the protocol by hand.
      Future<String> real =
          POOL.submit(
              () -> {
                try (GradientClient c =
                        new GradientClient(HOST, s.port(), 0, 2, 0, o.wire(), o.timeout(), AUTH);
                    RingExchange x =
                        new RingExchange(
                            c,
                            0,
                            2,
                            0,
                            o,
                            HOST,
                            0,
                            address -> {
                              rank0[0] = address;
                              // Its own thread: the handshakes need rank 0 to be accepting,
                              // which it only does once the addresses are gathered.
                              impersonator =
                                  POOL.submit(
                                      () -> {
                                        strangerThenRank1(address);
                                        return null;
                                      });
                              return List.of(address, fake);
                            },
                            AUTH,
                            0)) {
                  reduce(x, 0, 0, 7);
                  return "no error";
                } catch (SparkLlmException e) {
                  return e.getMessage();
                }
              });
      try (Socket fromRank0 = fakeListener.accept()) {
        DataInputStream in = new DataInputStream(AUTH.server(fromRank0).in());
        assertThat(in.readInt()).isEqualTo(RingLinks.MAGIC);
        assertThat(in.readByte()).isEqualTo(RingLinks.HELLO);
        assertThat(in.readInt()).isZero();
        // Rank 0 sends its chunk 0 (4 values) and expects chunk 1 = values 4..7 from rank 1.
        assertThat(real.get(30, TimeUnit.SECONDS))
            .startsWith("ring: rank 1 lost at step 0")
            .contains("unexpected ring frame")
            .contains("count 1073741824");
        assertThat(System.nanoTime() - t0)
            .isLessThan(TimeUnit.MILLISECONDS.toNanos(RingLinks.HANDSHAKE_TIMEOUT_MS + 15_000));
        impersonator.get(30, TimeUnit.SECONDS);
      } finally {
        silent.close();
        toRank0.close();
      }
    }
  }

  private static Socket toRank0;
  private static volatile Future<Object> impersonator;
  private static Socket silent;

  /**
   * A connection that says nothing, a stranger without the run's secret and an authenticated hello
   * from a rank not its predecessor are dropped; then the real rank 1 joins and sends a header
   * claiming a 4 GiB chunk.
   */
  private static void strangerThenRank1(String address) throws Exception {
    int colon = address.lastIndexOf(':');
    InetSocketAddress to =
        new InetSocketAddress(
            address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    // Stays open (and silent) until the test ends.
    silent = new Socket();
    silent.connect(to);
    try (Socket stranger = new Socket();
        Socket wrongRank = new Socket()) {
      stranger.connect(to);
      new DataOutputStream(stranger.getOutputStream()).writeLong(0x1234567890L);
      wrongRank.connect(to);
      hello(AUTH.client(wrongRank).out(), 0);
    }
    toRank0 = new Socket();
    toRank0.connect(to);
    java.io.OutputStream channel = AUTH.client(toRank0).out();
    hello(channel, 1);
    DataOutputStream out = new DataOutputStream(channel);
    out.writeInt(RingAllReduce.MAGIC);
    out.writeByte(RingAllReduce.DATA);
    out.writeLong(0);
    out.writeInt(4);
    out.writeInt(1 << 30);
    out.flush();
  }

  private static void hello(java.io.OutputStream to, int rank) throws Exception {
    DataOutputStream out = new DataOutputStream(to);
    out.writeInt(RingLinks.MAGIC);
    out.writeByte(RingLinks.HELLO);
    out.writeInt(rank);
    out.writeInt(2);
    out.writeInt(0);
    out.flush();
  }
}
