package dev.sparkllm.serving;

import dev.sparkllm.training.Generator;
import dev.sparkllm.training.Sampling;
import dev.sparkllm.training.model.BatchDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching: one thread owns the model and steps every active sequence one token at a
 * time with a batched forward. Waiting sequences join between steps (their prompt is prefilled
 * first), finished or cancelled ones leave, so a short request never waits for a long one to end.
 *
 * <p>Each sequence samples from its own seeded {@link Random}, and {@link BatchDecoder} makes its
 * logits independent of what else is in the batch: a seeded request gives the same tokens under any
 * load. Handler threads only read a job's {@link Job#events} and may {@link Job#cancel} it.
 */
final class Scheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  /** What a job reports, in order: tokens, then one Done or Failed. */
  sealed interface Event permits Token, Done, Failed {}

  record Token(int id) implements Event {}

  record Done(String reason) implements Event {}

  record Failed(String message) implements Event {}

  /** One sequence to decode. */
  static final class Job {
    final int[] prompt;
    final Generator.Options options;
    final int stopToken;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Random random;
    private volatile boolean cancelled;
    private volatile String cancelReason = "cancelled";
    private BatchDecoder.Sequence seq;
    private int produced;
    private int last;

    Job(int[] prompt, Generator.Options options, int stopToken) {
      this.prompt = prompt;
      this.options = options;
      this.stopToken = stopToken;
      this.random = new Random(options.seed());
    }

    /** Frees the job's slot at the next step; {@code reason} is what the metrics count. */
    void cancel(String reason) {
      cancelReason = reason;
      cancelled = true;
    }
  }

  private final BatchDecoder decoder;
  private final int maxQueue;
  private final ServeMetrics metrics;
  private final Deque<Job> waiting = new ArrayDeque<>();
  private final List<Job> active = new ArrayList<>();
  private final ConcurrentLinkedQueue<Runnable> exclusive = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private int activeCount; // guarded by this; active.size() as seen by submitters
  private boolean closed; // guarded by this

  Scheduler(BatchDecoder decoder, int maxQueue, ServeMetrics metrics) {
    this.decoder = decoder;
    this.maxQueue = maxQueue;
    this.metrics = metrics;
    this.thread = new Thread(this::loop, "spark-llm-decoder");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues all of {@code jobs} or none: 429 when the queue cannot take them, 503 when closed. */
  synchronized void submit(List<Job> jobs) {
    if (closed) {
      throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
    }
    int free = decoder.width() - activeCount;
    if (waiting.size() + jobs.size() > maxQueue + Math.max(0, free - waiting.size())) {
      throw new ApiError(
          429,
          "rate_limit_error",
          null,
          "queue_full",
          "the server is at capacity (serve.max_batch + serve.max_queue); retry later");
    }
    waiting.addAll(jobs);
    metrics.queueDepth.set(waiting.size());
    notifyAll();
  }

  /**
   * Runs {@code task} on the decoding thread between two steps (model access is single-threaded).
   */
  <T> T exclusive(Callable<T> task) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    exclusive.add(
        () -> {
          try {
            f.complete(task.call());
          } catch (Exception | Error e) {
            f.completeExceptionally(e);
          }
        });
    synchronized (this) {
      notifyAll();
    }
    try {
      return f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  /** log p(ids[t] | ids[..t]) for t = 1..n-1, computed between two decoding steps. */
  double[] logProbs(int[] ids) throws Exception {
    return exclusive(
        () -> {
          try (BatchDecoder.Sequence s = decoder.open()) {
            float[][] rows = decoder.prefill(s, ids);
            double[] out = new double[ids.length - 1];
            for (int t = 1; t < ids.length; t++) {
              float[] row = rows[t - 1];
              double max = Double.NEGATIVE_INFINITY;
              for (float v : row) {
                max = Math.max(max, v);
              }
              double sum = 0;
              for (float v : row) {
                sum += Math.exp(v - max);
              }
              out[t - 1] = row[ids[t]] - max - Math.log(sum);
            }
            return out;
          }
        });
  }

  /** Sequences waiting or decoding. */
  synchronized int inFlight() {
    return waiting.size() + activeCount;
  }

  /** Refuses new jobs; running and queued ones go on. */
  synchronized void drain() {
    closed = true;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    try {
      while (true) {
        Runnable task;
        while ((task = exclusive.poll()) != null) {
          task.run();
        }
        admit();
        if (active.isEmpty()) {
          synchronized (this) {
            if (closed && waiting.isEmpty()) {
              return;
            }
            if (waiting.isEmpty() && exclusive.isEmpty()) {
              wait();
            }
          }
          continue;
        }
        step();
      }
    } catch (InterruptedException e) {
      // close(): the jobs still here are failed below.
    } finally {
      failAll("the server stopped");
    }
  }

  private void admit() {
    while (true) {
      Job job;
      synchronized (this) {
        if (activeCount >= decoder.width() || waiting.isEmpty()) {
          metrics.queueDepth.set(waiting.size());
          return;
        }
        job = waiting.poll();
        activeCount++;
        metrics.queueDepth.set(waiting.size());
      }
      if (job.cancelled) {
        finish(job, job.cancelReason);
        continue;
      }
      try {
        job.seq = decoder.open();
        active.add(job);
        float[][] rows = decoder.prefill(job.seq, job.prompt);
        deliver(job, Sampling.pick(rows[rows.length - 1], job.options, job.random));
      } catch (RuntimeException e) {
        LOG.warn("prefill failed: {}", e.toString());
        job.events.add(new Failed("prefill failed: " + e.getMessage()));
        finish(job, "error");
      }
      metrics.activeSequences.set(active.size());
    }
  }

  private void step() {
    for (Job job : List.copyOf(active)) {
      if (job.cancelled) {
        finish(job, job.cancelReason);
      }
    }
    if (active.isEmpty()) {
      return;
    }
    List<BatchDecoder.Sequence> seqs = new ArrayList<>(active.size());
    int[] tokens = new int[active.size()];
    for (int i = 0; i < active.size(); i++) {
      seqs.add(active.get(i).seq);
      tokens[i] = active.get(i).last;
    }
    metrics.batchSize.observe(active.size());
    float[][] logits;
    try {
      logits = decoder.step(seqs, tokens);
    } catch (RuntimeException e) {
      LOG.warn("decoding step failed: {}", e.toString());
      failAll("decoding failed: " + e.getMessage());
      return;
    }
    for (Job job : List.copyOf(active)) {
      int i = seqs.indexOf(job.seq);
      deliver(job, Sampling.pick(logits[i], job.options, job.random));
    }
  }

  private void deliver(Job job, int token) {
    if (token == job.stopToken) {
      finish(job, "stop");
      return;
    }
    job.last = token;
    job.produced++;
    metrics.generatedTokens.inc();
    job.events.add(new Token(token));
    if (job.produced >= job.options.maxTokens()) {
      finish(job, "length");
    } else if (job.seq.length() + 1 > decoder.config().contextLength()) {
      finish(job, "length");
    }
  }

  private void finish(Job job, String reason) {
    if (job.seq != null) {
      job.seq.close();
      job.seq = null;
    }
    active.remove(job);
    synchronized (this) {
      activeCount--;
    }
    metrics.activeSequences.set(active.size());
    metrics.finished.labelValues(reason).inc();
    job.events.add(new Done(reason));
  }

  private void failAll(String message) {
    for (Job job : List.copyOf(active)) {
      job.events.add(new Failed(message));
      finish(job, "error");
    }
    List<Job> rest;
    synchronized (this) {
      rest = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Job job : rest) {
      job.events.add(new Failed(message));
    }
  }
}
