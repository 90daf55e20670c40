package dev.sparkllm.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.distributed.GradientClient;
import dev.sparkllm.training.distributed.GradientServer;
import dev.sparkllm.training.distributed.WireDtype;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * {@code bin/spark-llm train --replicas N}: N replicas of {@link TrainJob}'s loop, one per task of
 * a Spark barrier stage (all start together; one failure fails all). Each step every replica runs
 * forward/backward on its own micro-batches (rank r takes every N-th batch of the shared order),
 * the driver's {@link GradientServer} averages the gradients, and every replica applies the same
 * AdamW step; rank 0 writes checkpoints and metrics. A retried stage resumes from
 * checkpoints/latest.
 */
public final class DistributedTrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainJob.class);

  /**
   * {@code training.distributed.replicas} value (CLI: {@code --replicas auto}): every task slot.
   */
  public static final int AUTO = -1;

  private DistributedTrainJob() {}

  public static TrainResult run(
      SparkSession spark, Config config, String data, String output, boolean resume, int replicas) {
    SparkConf conf = spark.sparkContext().getConf();
    replicas = checkCluster(conf, spark.sparkContext().defaultParallelism(), replicas);
    Config dist = config.section("training.distributed");
    WireDtype wire = WireDtype.parse(dist.getString("wire_dtype"));
    if (config.getString("training.device").equals("gpu")
        && conf.getOption("spark.task.resource.gpu.amount").isEmpty()) {
      // Checked here too (the replicas check their own resources) because a failing barrier stage
      // is retried: each replica would hit the same wall spark.stage.maxConsecutiveAttempts times.
      throw new SparkLlmException(
          "training.device=gpu but spark.task.resource.gpu.amount is not set, so Spark gives the"
              + " replicas no GPU; set spark.executor.resource.gpu.amount=1,"
              + " spark.task.resource.gpu.amount=1 and a discovery script, or training.device=cpu");
    }
    Duration timeout = Duration.ofMillis((long) (dist.getDouble("timeout_s") * 1000));
    TrainJob.Prepared prepared = TrainJob.prepare(config, data, output, resume);
    String host = conf.get("spark.driver.host", "localhost");
    try (GradientServer server = new GradientServer(host, dist.getInt("port"), replicas, timeout)) {
      server.setMetricsLogging(!conf.get("spark.master", "").startsWith("local["));
      LOG.info(
          "gradient service on {}:{} for {} replicas ({} on the wire)",
          host,
          server.port(),
          replicas,
          wire);
      Replica task =
          new Replica(
              new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()),
              config,
              prepared,
              // A relative path would resolve against each executor's working directory.
              Storage.qualify(output),
              resume,
              host,
              server.port(),
              replicas,
              wire,
              timeout.toMillis(),
              dist.getInt("checksum_interval"));
      List<Integer> ranks = new ArrayList<>();
      for (int r = 0; r < replicas; r++) {
        ranks.add(r);
      }
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      spark.sparkContext().setJobDescription("train: " + replicas + " replicas");
      List<String> results;
      try {
        ClassTag<String> tag = ClassTag$.MODULE$.apply(String.class);
        // The shuffle after the barrier stage is what makes it retryable: Spark re-runs a failed
        // barrier ShuffleMapStage (spark.stage.maxConsecutiveAttempts times) but aborts the job
        // when a barrier ResultStage fails ("Could not recover from a failed barrier
        // ResultStage"). The replicas' results are a few bytes, so the shuffle costs nothing.
        results =
            new JavaRDD<>(
                    jsc.parallelize(ranks, replicas)
                        .rdd()
                        .barrier()
                        .mapPartitions(task, false, tag),
                    tag)
                .repartition(1)
                .collect();
      } catch (Exception e) {
        if (server.failure() != null) {
          throw new SparkLlmException(server.failure(), e);
        }
        String why = userMessage(e);
        if (why != null) {
          throw new SparkLlmException(why, e);
        }
        throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
      }
      LOG.info(
          "gradient service moved {} bytes in, {} bytes out; {} s decoding, averaging, encoding",
          server.bytesReceived(),
          server.bytesSent(),
          String.format("%.2f", server.reduceNanos() / 1e9));
      for (String r : results) {
        if (!r.isEmpty()) {
          return Json.MAPPER.readValue(r, TrainResult.class);
        }
      }
      throw new IllegalStateException("rank 0 returned no result");
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot start the gradient service on " + host + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fails fast where a barrier stage would wait forever or be refused; returns the replica count,
   * resolving {@link #AUTO} to one replica per task slot (per GPU when tasks get GPUs).
   */
  static int checkCluster(SparkConf conf, int defaultParallelism, int replicas) {
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new SparkLlmException(
          "train --replicas needs spark.dynamicAllocation.enabled=false: a barrier stage must"
              + " hold all its executors for the whole run");
    }
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int slots = defaultParallelism / Math.max(1, taskCpus);
    double taskGpus = conf.getDouble("spark.task.resource.gpu.amount", 0);
    int executors = conf.getInt("spark.executor.instances", 0);
    if (taskGpus > 0 && executors > 0) {
      double perExecutor = conf.getDouble("spark.executor.resource.gpu.amount", 0);
      slots = Math.min(slots, executors * (int) Math.floor(perExecutor / taskGpus + 1e-9));
    }
    if (replicas == AUTO) {
      replicas = slots;
      LOG.info("--replicas auto: {} replicas, one per task slot", replicas);
    }
    if (replicas < 1 || replicas > slots) {
      throw new SparkLlmException(
          "train --replicas "
              + replicas
              + " needs that many concurrent task slots, but the cluster has "
              + slots
              + " (defaultParallelism "
              + defaultParallelism
              + " / spark.task.cpus "
              + taskCpus
              + "); lower --replicas or add executors/cores");
    }
    return replicas;
  }

  /** A replica's own one-line error out of Spark's task-failure text, if there is one. */
  static String userMessage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SparkLlmException s) {
        return s.getMessage();
      }
      String m = t.getMessage();
      String tag = SparkLlmException.class.getName() + ": ";
      int i = m == null ? -1 : m.indexOf(tag);
      if (i >= 0) {
        String rest = m.substring(i + tag.length());
        int nl = rest.indexOf('\n');
        return nl < 0 ? rest : rest.substring(0, nl);
      }
    }
    return null;
  }

  /** The body of each barrier task: one replica. */
  static final class Replica extends AbstractFunction1<Iterator<Integer>, Iterator<String>>
      implements Serializable {
    private final SerializableConfiguration hadoopConf;
    private final Config config;
    private final TrainJob.Prepared prepared;
    private final String output;
    private final boolean resume;
    private final String host;
    private final int port;
    private final int world;
    private final WireDtype wire;
    private final long timeoutMs;
    private final int checksumInterval;

    Replica(
        SerializableConfiguration hadoopConf,
        Config config,
        TrainJob.Prepared prepared,
        String output,
        boolean resume,
        String host,
        int port,
        int world,
        WireDtype wire,
        long timeoutMs,
        int checksumInterval) {
      this.hadoopConf = hadoopConf;
      this.config = config;
      this.prepared = prepared;
      this.output = output;
      this.resume = resume;
      this.host = host;
      this.port = port;
      this.world = world;
      this.wire = wire;
      this.timeoutMs = timeoutMs;
      this.checksumInterval = checksumInterval;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> ignored) {
      Storage.installTaskConfiguration(hadoopConf.value());
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int rank = ctx.partitionId();
      int attempt = ctx.stageAttemptNumber();
      Device device =
          device(CollectionConverters.asJava(ctx.resources()), prepared.options(), rank);
      // A retried stage continues from the last checkpoint written by the failed attempt.
      String latest = Checkpoints.latest(output);
      boolean fromCheckpoint = latest != null && (resume || attempt > 0);
      try (Trainer trainer = new Trainer(prepared.model(), prepared.options(), device);
          GradientClient client =
              new GradientClient(
                  host, port, rank, world, attempt, wire, Duration.ofMillis(timeoutMs))) {
        Exchange exchange = new Exchange(client, rank, world, checksumInterval);
        TrainResult r;
        try {
          r =
              new TrainJob.Loop(trainer, prepared, output, config.hash(), exchange)
                  .run(fromCheckpoint ? Checkpoints.load(latest) : null);
        } catch (RuntimeException e) {
          client.abort(e.getMessage() != null ? e.getMessage() : e.toString());
          throw e;
        }
        client.finish();
        String json = rank == 0 ? Json.MAPPER.writeValueAsString(r) : "";
        return CollectionConverters.asScala(List.of(json).iterator());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The replica's device from its task's resources (Spark's "gpu" addresses), else CPU. */
    static Device device(Map<String, ResourceInformation> resources, TrainingOptions o, int rank) {
      ResourceInformation gpu = resources.get("gpu");
      if (gpu != null && gpu.addresses().length > 0) {
        String address = gpu.addresses()[0].trim();
        if (Engine.getInstance().getGpuCount() == 0) {
          throw new SparkLlmException(
              "rank "
                  + rank
                  + " was given GPU "
                  + address
                  + " by Spark but PyTorch sees no CUDA device; ship pytorch-native-cu128 or set"
                  + " PYTORCH_LIBRARY_PATH on the executors");
        }
        return Device.gpu(Integer.parseInt(address));
      }
      if (o.device().equals("gpu")) {
        throw new SparkLlmException(
            "training.device=gpu but Spark gave rank "
                + rank
                + " no GPU; set spark.executor.resource.gpu.amount and"
                + " spark.task.resource.gpu.amount (with a discovery script), or"
                + " training.device=cpu");
      }
      return o.device().equals("auto") ? null : Device.cpu();
    }
  }

  /** Flattens gradients (plus the loss) into one buffer per step and writes the average back. */
  static final class Exchange implements TrainJob.Exchange {
    private final GradientClient client;
    private final int rank;
    private final int world;
    private final int checksumInterval;
    private long commNanos;
    private long lastSent;
    private long lastReceived;

    Exchange(GradientClient client, int rank, int world, int checksumInterval) {
      this.client = client;
      this.rank = rank;
      this.world = world;
      this.checksumInterval = checksumInterval;
    }

    @Override
    public int rank() {
      return rank;
    }

    @Override
    public int world() {
      return world;
    }

    @Override
    public double reduce(long step, double loss, Map<String, NDArray> grads) {
      int n = 1;
      for (NDArray g : grads.values()) {
        n += Math.toIntExact(g.size());
      }
      float[] flat = new float[n];
      int off = 0;
      for (NDArray g : grads.values()) {
        float[] v = g.toFloatArray();
        System.arraycopy(v, 0, flat, off, v.length);
        off += v.length;
      }
      flat[off] = (float) loss;
      // Each rank checks its own, so an average of checked inputs needs no second scan: only an
      // overflow could make it non-finite, and the gradient-norm check reports that.
      checkFinite(step, flat, grads);
      long t0 = System.nanoTime();
      float[] avg = client.average(step, flat);
      commNanos += System.nanoTime() - t0;
      off = 0;
      for (Map.Entry<String, NDArray> e : grads.entrySet()) {
        NDArray g = e.getValue();
        int len = Math.toIntExact(g.size());
        float[] part = new float[len];
        System.arraycopy(avg, off, part, 0, len);
        off += len;
        e.setValue(g.getManager().create(part, g.getShape()));
      }
      return avg[off];
    }

    /**
     * A non-finite gradient from this rank's backward names its parameter and rank, instead of
     * surfacing later as a NaN gradient norm on every rank.
     */
    private void checkFinite(long step, float[] flat, Map<String, NDArray> grads) {
      int off = 0;
      for (Map.Entry<String, NDArray> e : grads.entrySet()) {
        int len = Math.toIntExact(e.getValue().size());
        for (int i = off; i < off + len; i++) {
          if (!Float.isFinite(flat[i])) {
            throw new SparkLlmException(
                String.format(
                    "rank %d: gradient of %s[%d] is %s at step %d, from its own"
                        + " forward/backward (before averaging); training diverged (lower"
                        + " training.learning_rate or set training.grad_clip)",
                    rank, e.getKey(), i - off, flat[i], step));
          }
        }
        off += len;
      }
    }

    @Override
    public void check(long step, Trainer trainer) {
      if (checksumInterval <= 0 || step % checksumInterval != 0) {
        return;
      }
      double sum = 0;
      for (Parameter p : trainer.model().namedParameters().values()) {
        for (float v : p.getArray().toFloatArray()) {
          sum += v;
        }
      }
      long t0 = System.nanoTime();
      client.checksum(step, sum);
      commNanos += System.nanoTime() - t0;
    }

    @Override
    public void publish(long step, String metricsLine) {
      client.metrics(step, metricsLine);
    }

    @Override
    public Map<String, Object> windowMetrics(long stepNanos, int steps) {
      int k = Math.max(1, steps);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("compute_ms", Math.max(0, stepNanos - commNanos) / 1e6 / k);
      m.put("comm_ms", commNanos / 1e6 / k);
      m.put("bytes_sent", (client.bytesSent() - lastSent) / k);
      m.put("bytes_received", (client.bytesReceived() - lastReceived) / k);
      commNanos = 0;
      lastSent = client.bytesSent();
      lastReceived = client.bytesReceived();
      return m;
    }
  }
}
