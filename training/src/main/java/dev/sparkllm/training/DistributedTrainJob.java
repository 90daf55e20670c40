package dev.sparkllm.training;

import ai.djl.Device;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.HadoopConf;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.distributed.DistributedOptions;
import dev.sparkllm.training.distributed.DriverExchange;
import dev.sparkllm.training.distributed.GradientClient;
import dev.sparkllm.training.distributed.GradientServer;
import dev.sparkllm.training.distributed.HmacPeerAuth;
import dev.sparkllm.training.distributed.RingExchange;
import dev.sparkllm.training.distributed.Transport;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * {@code bin/spark-llm train --replicas N}: N replicas of the {@link TrainLoop}, one per task of a
 * Spark barrier stage (all start together; one failure fails all). Each step every replica runs
 * forward/backward on its own micro-batches (rank r takes every N-th batch of the shared order),
 * the driver's {@link GradientServer} averages the gradients, and every replica applies the same
 * AdamW step; rank 0 writes checkpoints and metrics. A retried stage resumes from
 * checkpoints/latest.
 */
public final class DistributedTrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainJob.class);

  private DistributedTrainJob() {}

  public static TrainResult run(
      SparkSession spark, Config config, String data, String output, boolean resume, int replicas) {
    return run(spark, config, data, output, resume, replicas, FineTuning.NONE);
  }

  /** {@link #run} with LoRA and/or DPO as {@code tuning} says. */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      String data,
      String output,
      boolean resume,
      int replicas,
      FineTuning tuning) {
    SparkConf conf = spark.sparkContext().getConf();
    replicas = checkCluster(conf, spark.sparkContext().defaultParallelism(), replicas);
    DistributedOptions dist = DistributedOptions.fromConfig(config.section("training.distributed"));
    if (DeviceKind.parse(config.getString("training.device")) == DeviceKind.GPU
        && conf.getOption("spark.task.resource.gpu.amount").isEmpty()) {
      // Checked here too (the replicas check their own resources) because a failing barrier stage
      // is retried: each replica would hit the same wall spark.stage.maxConsecutiveAttempts times.
      throw new SparkLlmException(
          "training.device=gpu but spark.task.resource.gpu.amount is not set, so Spark gives the"
              + " replicas no GPU; set spark.executor.resource.gpu.amount=1,"
              + " spark.task.resource.gpu.amount=1 and a discovery script, or training.device=cpu");
    }
    Transport.Options transport =
        Transport.Options.fromConfig(config.section("training.distributed"));
    TrainSetup prepared = TrainSetup.prepare(config, data, output, resume);
    String host = conf.get("spark.driver.host", "localhost");
    // Executors connect to spark.driver.host; the service listens where Spark's own driver
    // endpoints do (spark.driver.bindAddress, e.g. 0.0.0.0 in a container behind a service name).
    String bind = conf.get("spark.driver.bindAddress", host);
    HmacPeerAuth auth = HmacPeerAuth.generate(encrypts(conf));
    GradientServer.Limits limits =
        GradientServer.Limits.forModel(
            prepared.model().parameterCount(),
            replicas,
            conf.getInt("spark.stage.maxConsecutiveAttempts", 4));
    try (GradientServer server =
        new GradientServer(bind, dist.port(), replicas, dist.timeout(), auth, limits)) {
      server.setMetricsLogging(!conf.get("spark.master", "").startsWith("local["));
      LOG.info(
          "gradient service on {}:{} (bound to {}) for {} replicas ({} on the wire, {}, {}"
              + " transport)",
          host,
          server.port(),
          bind,
          replicas,
          dist.wire(),
          auth.encrypts() ? "authenticated and encrypted" : "authenticated",
          transport.transport());
      Replica task =
          new Replica(
              HadoopConf.of(spark.sparkContext().hadoopConfiguration()),
              config,
              prepared,
              // A relative path would resolve against each executor's working directory.
              Storage.qualify(output),
              resume,
              new Replica.Service(host, server.port(), replicas, dist, auth),
              transport,
              tuning);
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
          "gradient service moved {} bytes in, {} bytes out; {} s decoding, averaging, encoding;"
              + " rejected {}",
          server.bytesReceived(),
          server.bytesSent(),
          String.format("%.2f", server.reduceNanos() / 1e9),
          server.rejections().isEmpty() ? "nothing" : server.rejections());
      for (String r : results) {
        if (!r.isEmpty()) {
          return Json.MAPPER.readValue(r, TrainResult.class);
        }
      }
      throw new IllegalStateException("rank 0 returned no result");
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot start the gradient service on "
              + bind
              + " (spark.driver.bindAddress, else spark.driver.host): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Gradient traffic is encrypted when Spark encrypts its own: a cluster that pays for encrypted
   * RPC would not expect the model's gradients in the clear.
   */
  static boolean encrypts(SparkConf conf) {
    return conf.getBoolean("spark.network.crypto.enabled", false)
        || conf.getBoolean("spark.ssl.enabled", false);
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
    if (replicas == DistributedOptions.AUTO) {
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
    private final HadoopConf hadoopConf;
    private final Config config;
    private final TrainSetup prepared;
    private final String output;
    private final boolean resume;
    private final Service service;
    private final Transport.Options transport;
    private final FineTuning tuning;

    /**
     * Where the replicas find the driver's gradient service, and how to use it. {@code auth}
     * carries the run's secret (its toString masks it).
     */
    record Service(String host, int port, int world, DistributedOptions options, HmacPeerAuth auth)
        implements Serializable {}

    Replica(
        HadoopConf hadoopConf,
        Config config,
        TrainSetup prepared,
        String output,
        boolean resume,
        Service service,
        Transport.Options transport,
        FineTuning tuning) {
      this.hadoopConf = hadoopConf;
      this.tuning = tuning;
      this.config = config;
      this.prepared = prepared;
      this.output = output;
      this.resume = resume;
      this.service = service;
      this.transport = transport;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> ignored) {
      Storage.installTaskConfiguration(hadoopConf.get());
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int rank = ctx.partitionId();
      int attempt = ctx.stageAttemptNumber();
      Device device =
          Devices.forTask(CollectionConverters.asJava(ctx.resources()), prepared.options(), rank);
      // A retried stage continues from the last checkpoint written by the failed attempt.
      String latest = Checkpoints.latest(output);
      boolean fromCheckpoint = latest != null && (resume || attempt > 0);
      try (Trainer trainer =
              new Trainer(prepared.model(), prepared.options(), device, tuning.lora());
          GradientClient client =
              new GradientClient(
                  service.host(),
                  service.port(),
                  rank,
                  service.world(),
                  attempt,
                  service.options().wire(),
                  service.options().timeout(),
                  service.auth())) {
        TrainResult r;
        GradientExchange exchange = null;
        try {
          exchange = exchange(ctx, client, rank, attempt);
          r =
              new TrainLoop(trainer, prepared, output, config.hash(), exchange, tuning)
                  .run(fromCheckpoint ? Checkpoints.load(latest) : null);
        } catch (RuntimeException e) {
          client.abort(e.getMessage() != null ? e.getMessage() : e.toString());
          throw e;
        } finally {
          if (exchange instanceof RingExchange ring) {
            ring.close();
          }
        }
        client.finish();
        String json = rank == 0 ? Json.MAPPER.writeValueAsString(r) : "";
        return CollectionConverters.asScala(List.of(json).iterator());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * {@code training.distributed.transport}: the driver averages, or the replicas do among
     * themselves (ring addresses exchanged through the barrier's allGather; the driver connection
     * stays for control).
     */
    private GradientExchange exchange(
        BarrierTaskContext ctx, GradientClient client, int rank, int attempt) {
      DistributedOptions o = service.options();
      if (transport.transport() == Transport.DRIVER) {
        return new DriverExchange(client, rank, service.world(), o.checksumInterval());
      }
      // The executor's own advertised address (the pod IP on Kubernetes), as Spark's block
      // manager gives it to the other executors.
      String host = SparkEnv.get().blockManager().blockManagerId().host();
      return new RingExchange(
          client,
          rank,
          service.world(),
          attempt,
          o,
          host,
          transport.ringPort(),
          address -> List.of(ctx.allGather(address)),
          // The ring's peers prove themselves with the same per-run secret as the driver's service.
          service.auth(),
          0);
    }
  }
}
