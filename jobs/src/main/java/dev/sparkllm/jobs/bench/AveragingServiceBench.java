package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.sparkllm.training.distributed.GradientClient;
import dev.sparkllm.training.distributed.GradientServer;
import dev.sparkllm.training.distributed.HmacPeerAuth;
import dev.sparkllm.training.distributed.WireDtype;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The driver's averaging service alone: a {@link GradientServer} and N {@link GradientClient}s on
 * loopback threads exchanging buffers of a model's parameter count in fp32 and bf16: ms per round,
 * MB/s per client and through the driver, the server's own decode/average/encode time.
 */
final class AveragingServiceBench {
  /** GPT-2's own vocabulary, so the gpt2 size is the 124M everyone quotes. */
  static final int GPT2_VOCAB = 50257;

  private AveragingServiceBench() {}

  /** One buffer size, client count and wire type; {@code skipped} when it would not fit. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ExchangeRow(
      String size,
      long parameters,
      @JsonSerialize(using = ToStringSerializer.class) WireDtype wire,
      int clients,
      @JsonInclude(JsonInclude.Include.NON_NULL) String skipped,
      @JsonUnwrapped Rounds rounds,
      // bf16 rows only: their time against fp32 at the same size and client count.
      @JsonInclude(JsonInclude.Include.NON_NULL) Double bf16OverFp32Time) {
    boolean measured() {
      return rounds != null;
    }
  }

  /** The timed rounds of one case. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Rounds(
      int rounds,
      long bytesPerRoundPerClient,
      long frameBytesModel,
      double msPerRound,
      double msPerRoundMean,
      double msPerRoundMin,
      double clientMbPerS,
      double driverMbPerS,
      double serverReduceMsPerRound) {}

  static List<ExchangeRow> run(DistributedBenchOptions o) {
    List<ExchangeRow> out = new ArrayList<>();
    for (String size : o.microSizes()) {
      long params = microParams(size, o.vocab());
      int count = Math.toIntExact(params + 1);
      float[] grads = null;
      for (int n : o.microReplicas()) {
        Double fp32Ms = null;
        for (WireDtype wire : List.of(WireDtype.FP32, WireDtype.BF16)) {
          String tooBig = memoryCheck(params, n, wire);
          if (tooBig != null) {
            out.add(new ExchangeRow(size, params, wire, n, tooBig, null, null));
            continue;
          }
          if (grads == null) {
            grads = gradients(count, o.seed());
          }
          Rounds r = exchange(grads, n, wire, o.microRounds(), o.microSeconds());
          Double ratio = null;
          if (wire == WireDtype.FP32) {
            fp32Ms = r.msPerRound();
          } else if (fp32Ms != null) {
            ratio = r.msPerRound() / fp32Ms;
          }
          out.add(new ExchangeRow(size, params, wire, n, null, r, ratio));
        }
      }
    }
    return out;
  }

  /** A preset's parameter count (tiny and mini at the benchmark's vocab, gpt2 at 50257), or N. */
  static long microParams(String size, int vocab) {
    if (size.matches("\\d+")) {
      return Long.parseLong(size);
    }
    return GptConfig.preset(size, size.equals(GptConfig.GPT2) ? GPT2_VOCAB : vocab)
        .parameterCount();
  }

  /**
   * Null when the case fits the heap, else why not. Live at once: the clients' shared input, each
   * client's received payload and decoded average, the server's decoded contribution per rank, its
   * average and its encoded reply.
   */
  static String memoryCheck(long params, int clients, WireDtype wire) {
    long b = wire.bytesPerValue();
    long need = 8 * params + params * b + clients * (8 * params + 2 * params * b);
    System.gc();
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (need < free * 0.9) {
      return null;
    }
    return String.format(
        "needs about %.1f GB of heap, %.1f GB free; raise SPARK_LLM_HEAP", need / 1e9, free / 1e9);
  }

  private static float[] gradients(int count, long seed) {
    // Gradient-like magnitudes; the cost of the exchange does not depend on the values.
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] g = new float[count];
    for (int i = 0; i < count; i++) {
      g[i] = (float) ((rnd.nextDouble() - 0.5) * 1e-3);
    }
    return g;
  }

  /**
   * One warm-up round, then timed rounds until at least {@code minRounds} and {@code minSeconds}
   * are done (small buffers take well under a millisecond, so a fixed count would time the
   * scheduler). All clients start each round together (a barrier), as replicas finishing backward
   * at the same time would; a round lasts until the slowest client has its average.
   */
  private static Rounds exchange(
      float[] grads, int n, WireDtype wire, int minRounds, double minSeconds) {
    List<List<Long>> nanos = new ArrayList<>();
    long[] bytes = new long[n];
    for (int c = 0; c < n; c++) {
      nanos.add(new ArrayList<>());
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    HmacPeerAuth auth = HmacPeerAuth.generate(false);
    try (GradientServer server =
        new GradientServer(
            "127.0.0.1",
            0,
            n,
            Duration.ofMinutes(5),
            auth,
            GradientServer.Limits.forModel(grads.length, n, 4))) {
      long[] reduce = new long[2];
      long[] timedStart = new long[1];
      int[] timedRounds = new int[1];
      AtomicInteger trips = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      // Runs once per round before any client is released, so every client sees the same answer.
      CyclicBarrier barrier =
          new CyclicBarrier(
              n,
              () -> {
                int round = trips.getAndIncrement();
                long now = System.nanoTime();
                if (round == 1) {
                  reduce[0] = server.reduceNanos();
                  timedStart[0] = now;
                }
                if (round > minRounds && now - timedStart[0] >= minSeconds * 1e9) {
                  reduce[1] = server.reduceNanos();
                  timedRounds[0] = round - 1;
                  stop.set(true);
                }
              });
      List<Thread> threads = new ArrayList<>();
      for (int rank = 0; rank < n; rank++) {
        int me = rank;
        Thread t =
            new Thread(
                () -> {
                  try (GradientClient c =
                      new GradientClient(
                          "127.0.0.1",
                          server.port(),
                          me,
                          n,
                          0,
                          wire,
                          Duration.ofMinutes(5),
                          auth)) {
                    long before = 0;
                    for (int r = 0; ; r++) {
                      barrier.await();
                      if (stop.get()) {
                        break;
                      }
                      if (r == 1) {
                        before = c.bytesSent() + c.bytesReceived();
                      }
                      long t0 = System.nanoTime();
                      float[] avg = c.average(r, grads);
                      long took = System.nanoTime() - t0;
                      if (r > 0) {
                        nanos.get(me).add(took);
                      }
                      if (avg.length != grads.length) {
                        throw new IllegalStateException("average of " + avg.length + " values");
                      }
                    }
                    bytes[me] = c.bytesSent() + c.bytesReceived() - before;
                    c.finish(); // a clean end, not a lost rank the server would report
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    barrier.reset();
                  }
                },
                "bench-client-" + rank);
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      if (failure.get() != null) {
        throw new IllegalStateException("averaging benchmark failed", failure.get());
      }
      int rounds = timedRounds[0];
      List<Double> roundMs = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        long slowest = 0;
        for (int c = 0; c < n; c++) {
          slowest = Math.max(slowest, nanos.get(c).get(r));
        }
        roundMs.add(slowest / 1e6);
      }
      double perClient = bytes[0] / (double) rounds;
      double ms = StepStats.median(roundMs);
      return new Rounds(
          rounds,
          Math.round(perClient),
          StepStats.frameBytes(grads.length - 1, wire),
          ms,
          StepStats.mean(roundMs),
          roundMs.stream().min(Double::compare).orElseThrow(),
          perClient / 1e6 / (ms / 1e3),
          n * perClient / 1e6 / (ms / 1e3),
          (reduce[1] - reduce[0]) / 1e6 / rounds);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the gradient service", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
