package dev.sparkllm.training.distributed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

// Every test ends in seconds; a lost frame would otherwise wait on a socket for minutes.
@Timeout(60)
class GradientServerTest {
  static final ExecutorService POOL = Executors.newCachedThreadPool();

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  static final HmacPeerAuth AUTH = HmacPeerAuth.generate(false);

  static GradientServer server(int world, Duration timeout) throws java.io.IOException {
    return new GradientServer(
        "127.0.0.1", 0, world, timeout, AUTH, GradientServer.Limits.forModel(1 << 20, world, 4));
  }

  static GradientClient client(GradientServer s, int rank, int world, int attempt, String dtype) {
    return new GradientClient(
        "127.0.0.1",
        s.port(),
        rank,
        world,
        attempt,
        WireDtype.parse(dtype),
        Duration.ofSeconds(5),
        AUTH);
  }

  /** Runs {@code body} for each rank on its own thread; returns the results in rank order. */
  static <T> List<T> ranks(int world, Function<Integer, T> body) throws Exception {
    List<Future<T>> fs = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      int rank = r;
      fs.add(POOL.submit(() -> body.apply(rank)));
    }
    List<T> out = new ArrayList<>();
    for (Future<T> f : fs) {
      out.add(f.get());
    }
    return out;
  }

  @Test
  void averagesFp32ExactlyAndCountsBytes() throws Exception {
    float[][] in = {{1f, -2f, 0.1f, 3e-8f}, {2f, 4f, 0.2f, 1e-8f}, {4f, 1f, 0.3f, -1e-8f}};
    try (GradientServer s = server(3, Duration.ofSeconds(5))) {
      List<Object[]> got =
          ranks(
              3,
              r -> {
                try (GradientClient c = client(s, r, 3, 0, "fp32")) {
                  float[] a = c.average(0, in[r]);
                  float[] b = c.average(1, new float[] {r, r, r, r});
                  Object[] result = {a, b, c.bytesSent(), c.bytesReceived()};
                  c.finish();
                  return result;
                }
              });
      for (Object[] g : got) {
        assertThat((float[]) g[0])
            .containsExactly(
                (float) (7.0 / 3),
                (float) (3.0 / 3),
                (float) (((double) 0.1f + 0.2f + 0.3f) / 3),
                (float) (((double) 3e-8f + 1e-8f - 1e-8f) / 3));
        assertThat((float[]) g[1]).containsExactly(1f, 1f, 1f, 1f);
        // hello + 2 frames of 4 fp32 values, each with a header
        long frames = 3L * Wire.HEADER_BYTES + 2 * 16;
        assertThat((long) g[2]).isEqualTo(frames);
        assertThat((long) g[3]).isEqualTo(frames);
      }
      // The goodbyes arrive asynchronously: wait for them (each one header), then count exactly.
      long expectedIn = 3 * (4L * Wire.HEADER_BYTES + 32);
      awaitUntil(() -> s.bytesReceived() >= expectedIn);
      assertThat(s.bytesReceived()).isEqualTo(expectedIn);
      assertThat(s.bytesSent()).isEqualTo(3 * (3L * Wire.HEADER_BYTES + 32));
      // Ranks that said goodbye closed on purpose: no failure.
      assertThat(s.failure()).isNull();
    }
  }

  static void awaitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void rankThatDisconnectsWithoutGoodbyeFailsTheOthersAtOnce() throws Exception {
    // A timeout far beyond the test's run: only the disconnect can end rank 0's wait.
    try (GradientServer s = server(3, Duration.ofMinutes(10));
        GradientClient c0 = client(s, 0, 3, 0, "fp32");
        GradientClient c2 = client(s, 2, 3, 0, "fp32")) {
      GradientClient c1 = client(s, 1, 3, 0, "fp32");
      Future<?> waiting = POOL.submit(() -> c0.average(7, new float[] {1f}));
      awaitUntil(() -> s.bytesReceived() >= 4L * Wire.HEADER_BYTES + 4);
      c1.close(); // as when its executor JVM is killed: no goodbye
      assertThatThrownBy(waiting::get)
          .hasMessageContaining("rank 1 disconnected from the gradient service during step 7")
          .hasMessageContaining("checkpoints/latest");
      // A rank arriving after the loss is told at once too, not left to time out.
      assertThatThrownBy(() -> c2.average(7, new float[] {1f}))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("rank 1 disconnected");
      assertThat(s.failure()).contains("rank 1 disconnected");
    }
  }

  @Test
  void rankThatFailsReportsItsReasonToTheOthers() throws Exception {
    try (GradientServer s = server(2, Duration.ofMinutes(10));
        GradientClient c0 = client(s, 0, 2, 0, "fp32");
        GradientClient c1 = client(s, 1, 2, 0, "fp32")) {
      Future<?> waiting = POOL.submit(() -> c0.average(3, new float[] {1f}));
      awaitUntil(() -> s.bytesReceived() >= 3L * Wire.HEADER_BYTES + 4);
      c1.abort("gradient norm is NaN at step 3");
      assertThatThrownBy(waiting::get)
          .hasMessageContaining("rank 1 failed during step 3: gradient norm is NaN at step 3");
      assertThat(s.failure())
          .isEqualTo("rank 1 failed during step 3: gradient norm is NaN at step 3");
    }
  }

  @Test
  void metricsLinesGoToTheDriverLogAndAreNotCountedAsGradientTraffic() throws Exception {
    List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.apache.logging.log4j.core.LoggerContext ctx =
        (org.apache.logging.log4j.core.LoggerContext)
            org.apache.logging.log4j.LogManager.getContext(false);
    org.apache.logging.log4j.core.config.LoggerConfig config =
        ctx.getConfiguration().getLoggerConfig(GradientServer.class.getName());
    org.apache.logging.log4j.core.appender.AbstractAppender capture =
        new org.apache.logging.log4j.core.appender.AbstractAppender(
            "capture",
            null,
            null,
            true,
            org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
          @Override
          public void append(org.apache.logging.log4j.core.LogEvent e) {
            logged.add(e.getMessage().getFormattedMessage());
          }
        };
    capture.start();
    config.addAppender(capture, org.apache.logging.log4j.Level.INFO, null);
    ctx.updateLoggers();
    try (GradientServer s = server(1, Duration.ofSeconds(5));
        GradientClient c = client(s, 0, 1, 0, "fp32")) {
      c.metrics(5, "{\"step\":5,\"train_loss\":1.25}");
      // Frames of one connection are handled in order: once the average is back, so is the log.
      assertThat(c.average(5, new float[] {2f})).containsExactly(2f);
      assertThat(logged).contains("train metrics (rank 0): {\"step\":5,\"train_loss\":1.25}");
      assertThat(c.bytesSent()).isEqualTo(2L * Wire.HEADER_BYTES + 4);
      assertThat(s.bytesReceived()).isEqualTo(2L * Wire.HEADER_BYTES + 4);
    } finally {
      config.removeAppender("capture");
      ctx.updateLoggers();
    }
  }

  /** Bytes allocated so far by the threads whose names start with {@code prefix}. */
  static long allocated(String prefix) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix)) {
        sum += Math.max(0, mx.getThreadAllocatedBytes(t.getId()));
      }
    }
    return sum;
  }

  /**
   * Multi-megabyte arrays allocated every step made G1 collect every second or two and cost a
   * replica a quarter of its compute (docs/distributed-training.md, "Part 0"): a step's exchange
   * must reuse its buffers, on the replica and on the driver.
   */
  @Test
  void exchangesAllocateNoBuffersPerStep() throws Exception {
    int n = 1 << 20; // 4 MB per frame in fp32
    java.nio.FloatBuffer grads = java.nio.ByteBuffer.allocateDirect(4 * n).asFloatBuffer();
    java.nio.ByteBuffer inbox = java.nio.ByteBuffer.allocateDirect(4 * n);
    for (String dtype : List.of("fp32", "bf16")) {
      try (GradientServer s = server(1, Duration.ofSeconds(20));
          GradientClient c = client(s, 0, 1, 0, dtype)) {
        long[] before = new long[2];
        for (int step = 0; step < 8; step++) {
          if (step == 3) { // after the buffers exist and the JIT has warmed up
            before[0] = allocated("gradient-server-conn");
            before[1] = allocated(Thread.currentThread().getName());
          }
          grads.clear();
          c.average(step, grads, inbox.clear());
        }
        long server = allocated("gradient-server-conn") - before[0];
        long replica = allocated(Thread.currentThread().getName()) - before[1];
        // 5 steps of the old path allocated over 3 frames' worth (60 MB) on each side.
        assertThat(replica).as(dtype + " replica bytes over 5 steps").isLessThan(n);
        assertThat(server).as(dtype + " driver bytes over 5 steps").isLessThan(n);
        c.finish();
      }
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
    assertThat(Wire.fromBf16(Wire.toBf16(1f + 0x1p-8f))).isEqualTo(1f);
    // 1 + 3*2^-8 is a tie between 1+2^-7 (odd) and 1+2^-6 (even): rounds up to even.
    assertThat(Wire.fromBf16(Wire.toBf16(1f + 3 * 0x1p-8f))).isEqualTo(1f + 0x1p-6f);
    // Just above the tie rounds up; just below rounds down.
    assertThat(Wire.fromBf16(Wire.toBf16(Math.nextUp(1f + 0x1p-8f)))).isEqualTo(1f + 0x1p-7f);
    assertThat(Wire.fromBf16(Wire.toBf16(Math.nextDown(1f + 0x1p-8f)))).isEqualTo(1f);
    assertThat(Wire.fromBf16(Wire.toBf16(-2.5f))).isEqualTo(-2.5f);
    assertThat(Wire.fromBf16(Wire.toBf16(Float.NaN))).isNaN();
    assertThat(Wire.fromBf16(Wire.toBf16(Float.POSITIVE_INFINITY)))
        .isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Wire.toBf16(1f)).isEqualTo((short) 0x3F80);
  }

  @Test
  void bf16OnTheWireHalvesThePayload() throws Exception {
    try (GradientServer s = server(2, Duration.ofSeconds(5))) {
      List<float[]> got =
          ranks(
              2,
              r -> {
                try (GradientClient c = client(s, r, 2, 0, "bf16")) {
                  float[] avg = c.average(0, new float[] {1f, 1f + 0x1p-8f + r * 0x1p-6f});
                  assertThat(c.bytesSent()).isEqualTo(2L * Wire.HEADER_BYTES + 4);
                  c.finish(); // a clean end: not a lost rank
                  return avg;
                }
              });
      // rank 0 sends (1, 1), rank 1 sends (1, 1+2^-6) after rounding; average 1+2^-7 is exact.
      assertThat(got.get(0)).containsExactly(1f, 1f + 0x1p-7f);
      assertThat(got.get(1)).containsExactly(1f, 1f + 0x1p-7f);
    }
  }

  @Test
  void timeoutNamesTheMissingRank() throws Exception {
    // Which ranks are missing is fixed by the test, not by timing: ranks 1 and 0 send, each frame
    // seen by the server before the next step, and rank 2 never does. The timeout only has to
    // outlast the few milliseconds between those two frames, so a long one costs just the wait
    // and a GC pause or a busy machine cannot turn the expected [2] into [0, 2].
    try (GradientServer s = server(3, Duration.ofSeconds(3));
        GradientClient c0 = client(s, 0, 3, 0, "fp32");
        GradientClient c1 = client(s, 1, 3, 0, "fp32");
        GradientClient c2 = client(s, 2, 3, 0, "fp32")) {
      long hellos = 3L * Wire.HEADER_BYTES;
      long frame = Wire.HEADER_BYTES + 4;
      awaitUntil(() -> s.bytesReceived() >= hellos);
      Future<?> f1 = POOL.submit(() -> c1.average(4, new float[] {1f}));
      awaitUntil(() -> s.bytesReceived() >= hellos + frame);
      Future<?> f0 = POOL.submit(() -> c0.average(4, new float[] {1f}));
      awaitUntil(() -> s.bytesReceived() >= hellos + 2 * frame);
      assertThat(s.bytesReceived()).isEqualTo(hellos + 2 * frame);
      assertThatThrownBy(f0::get)
          .hasCauseInstanceOf(SparkLlmException.class)
          .hasMessageContaining("step 4 timed out after 3.0 s")
          .hasMessageContaining("waiting for rank(s) [2]");
      assertThatThrownBy(f1::get).hasMessageContaining("rank(s) [2]");
      assertThat(s.failure()).contains("rank(s) [2]");
    }
  }

  @Test
  void checksumMismatchFailsEveryRankNamingTheOddOne() throws Exception {
    try (GradientServer s = server(3, Duration.ofSeconds(5))) {
      List<String> errors =
          ranks(
              3,
              r -> {
                try (GradientClient c = client(s, r, 3, 0, "fp32")) {
                  c.checksum(0, 12.5); // agreeing round passes
                  c.checksum(10, r == 1 ? 12.75 : 12.5);
                  return "no error";
                } catch (SparkLlmException e) {
                  return e.getMessage();
                }
              });
      for (String e : errors) {
        assertThat(e).contains("replicas diverged").contains("step 10").contains("rank(s) [1]");
      }
      assertThat(s.failure()).contains("rank(s) [1]");
    }
  }

  @Test
  void newStageAttemptReplacesTheOldOneAndStaleFramesAreRejected() throws Exception {
    try (GradientServer s = server(2, Duration.ofSeconds(5))) {
      GradientClient old0 = client(s, 0, 2, 0, "fp32");
      // Attempt 0 is half-way through step 3 when the stage is retried.
      ranks(
          2,
          r -> {
            try (GradientClient c = client(s, r, 2, 0, "fp32")) {
              float[] avg = c.average(3, new float[] {r});
              c.finish();
              return avg;
            }
          });
      List<float[]> got =
          ranks(
              2,
              r -> {
                try (GradientClient c = client(s, r, 2, 1, "fp32")) {
                  float[] avg = c.average(0, new float[] {2f * r}); // resumed from earlier
                  c.finish();
                  return avg;
                }
              });
      assertThat(got.get(0)).containsExactly(1f);
      assertThatThrownBy(() -> old0.average(4, new float[] {0f}))
          .isInstanceOf(SparkLlmException.class);
      old0.close();
      assertThatThrownBy(() -> client(s, 0, 2, 0, "fp32"))
          .hasMessageContaining("stale connection from stage attempt 0");
      try (GradientClient c0 = client(s, 0, 2, 1, "fp32")) {
        assertThatThrownBy(() -> c0.average(0, new float[] {0f}))
            .hasMessageContaining("stale gradients for step 0");
      }
    }
  }

  @Test
  void unreachableServerIsAClearError() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    assertThatThrownBy(
            () ->
                new GradientClient(
                    "127.0.0.1", port, 0, 1, 0, WireDtype.FP32, Duration.ofSeconds(2), AUTH))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("rank 0 cannot reach the driver's gradient service at 127.0.0.1:");
  }
}
