package dev.sparkllm.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.optim.OuterNesterov;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronization every H optimizer steps ({@code training.distributed.sync: local_sgd | diloco}):
 * between syncs each replica takes AdamW steps on its own batches; at a sync the replicas average
 * their pseudo-gradients Δ = θ − θ_replica through the {@link GradientExchange} and every replica
 * applies the same {@link OuterNesterov} step (lr 1, momentum 0 for local SGD: plain parameter
 * averaging), so all replicas leave the sync with the same weights.
 *
 * <p>The outer step runs on every replica rather than on the driver: the same average goes back to
 * every replica either way, so the wire carries the same bytes, and the driver stays a
 * content-agnostic averager (any {@link GradientExchange} supports every sync mode).
 *
 * <p>AdamW moments stay local to each replica, as in DiLoCo and local Adam: they are never sent. A
 * checkpoint (written at syncs only, when every replica holds the outer weights) therefore holds
 * every rank's optimizer state: each rank r &gt; 0 stages its own file before the sync's exchange
 * (which no rank leaves until all have sent, so the files are complete when rank 0 writes), and
 * rank 0 bundles them as {@code optimizer-rank-r.safetensors}.
 */
final class LocalSync {
  private static final Logger LOG = LoggerFactory.getLogger(LocalSync.class);

  /** Rank r's staged optimizer state for step N: {@code .replica-step-N-rank-r.safetensors}. */
  private static final Pattern STAGED =
      Pattern.compile("\\.replica-step-(\\d{7,})-rank-(\\d+)\\.safetensors");

  private final Trainer trainer;
  private final SyncOptions options;
  private final GradientExchange exchange;
  private final String output;
  private final OuterNesterov outer;

  private LocalSync(
      Trainer trainer, SyncOptions options, GradientExchange exchange, String output) {
    this.trainer = trainer;
    this.options = options;
    this.exchange = exchange;
    this.output = output;
    boolean diloco = options.mode() == SyncOptions.Mode.DILOCO;
    // local SGD with one replica is plain training: nothing to average, no outer weights.
    this.outer =
        diloco || exchange.world() > 1
            ? new OuterNesterov(
                trainer.trainable(),
                diloco ? options.outerLr() : 1.0,
                diloco ? options.outerMomentum() : 0.0)
            : null;
  }

  /**
   * Starts syncing from the trainer's current weights (fresh or restored from {@code from}, which
   * also gives this rank's optimizer state and the outer momentum when it holds them).
   */
  static LocalSync start(
      Trainer trainer,
      SyncOptions options,
      GradientExchange exchange,
      String output,
      Checkpoints.Loaded from) {
    LocalSync s = new LocalSync(trainer, options, exchange, output);
    if (exchange.rank() == 0) {
      LOG.info(
          "sync {}: {} replicas meet every {} steps{}",
          options.mode(),
          exchange.world(),
          options.every(),
          options.mode() == SyncOptions.Mode.DILOCO
              ? String.format(
                  " (outer Nesterov lr %s, momentum %s)",
                  options.outerLr(), options.outerMomentum())
              : "");
    }
    if (from != null) {
      s.restore(from);
    }
    return s;
  }

  /** True when the replicas synchronize after {@code step} steps (every H, and at the end). */
  boolean syncsAt(long step, long maxSteps) {
    return step % options.every() == 0 || step == maxSteps;
  }

  /**
   * Synchronizes after {@code step} steps; {@code stage}: a checkpoint may follow, so ranks &gt; 0
   * stage their optimizer state first. Returns the replicas' mean of {@code loss}.
   */
  double sync(long step, double loss, boolean stage) {
    if (stage && exchange.rank() > 0) {
      Storage.writeAtomically(staged(step, exchange.rank()), localState());
    }
    if (outer == null) {
      return loss;
    }
    JniUtils.setGradMode(false);
    Map<String, Parameter> params = trainer.trainable();
    try (NDManager scope = trainer.manager().newSubManager()) {
      Map<String, NDArray> delta = outer.pseudoGradients(params, scope);
      double mean = exchange.reduce(step, loss, delta);
      outer.step(params, delta);
      trainer.weightsChanged();
      return mean;
    }
  }

  /** The files a checkpoint at {@code step} adds (rank 0): outer momentum, other ranks' state. */
  Map<String, byte[]> checkpointFiles(long step) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (outer != null && outer.hasState()) {
      files.put(Checkpoints.OUTER, Checkpoints.encode(outer.state()));
    }
    for (int r = 1; r < exchange.world(); r++) {
      String f = staged(step, r);
      if (!Storage.exists(f)) {
        throw new SparkLlmException(
            f + " is missing: rank " + r + " did not stage its optimizer state for step " + step);
      }
      files.put(Checkpoints.replicaOptimizer(r), Storage.readBytes(f));
    }
    return files;
  }

  /** Deletes staged files of steps up to {@code step} (rank 0, after its checkpoint). */
  void checkpointed(long step) {
    Path dir = Storage.path(Checkpoints.dir(output));
    try {
      FileSystem fs = Storage.fs(dir);
      for (FileStatus st : fs.listStatus(dir)) {
        Matcher m = STAGED.matcher(st.getPath().getName());
        // Never a later step's: another rank may already be staging the next checkpoint.
        if (m.matches() && Long.parseLong(m.group(1)) <= step) {
          fs.delete(st.getPath(), false);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot remove staged optimizer states in {}: {}", dir, e.getMessage());
    }
  }

  private String staged(long step, int rank) {
    return Storage.join(
        Checkpoints.dir(output),
        ".replica-" + Checkpoints.name(step) + "-rank-" + rank + ".safetensors");
  }

  /** This rank's AdamW moments, step count and loss scale (all local between syncs). */
  private byte[] localState() {
    try (NDManager m = trainer.manager().newSubManager()) {
      NDList list = new NDList(trainer.optimizer().state());
      NDArray counters =
          m.create(new double[] {trainer.optimizer().steps(), trainer.lossScale()}, new Shape(2));
      counters.setName("replica");
      list.add(counters);
      return Checkpoints.encode(list);
    }
  }

  private void restore(Checkpoints.Loaded from) {
    if (outer != null && outer.hasState()) {
      byte[] saved = from.files().get(Checkpoints.OUTER);
      if (saved == null) {
        LOG.warn(
            "{} holds no outer momentum ({}): the outer optimizer starts from zero momentum",
            from.dir(),
            Checkpoints.OUTER);
      } else {
        String origin = Storage.join(from.dir(), Checkpoints.OUTER);
        try (NDManager m = trainer.manager().newSubManager()) {
          outer.load(Checkpoints.decode(m, saved, origin), origin);
        }
      }
    }
    int rank = exchange.rank();
    if (rank == 0) {
      return;
    }
    String name = Checkpoints.replicaOptimizer(rank);
    byte[] own = from.files().get(name);
    if (own == null) {
      LOG.warn(
          "{} holds no {} (written with fewer replicas or sync: step): rank {} starts from rank"
              + " 0's optimizer state",
          from.dir(),
          name,
          rank);
      return;
    }
    String origin = Storage.join(from.dir(), name);
    try (NDManager m = trainer.manager().newSubManager()) {
      NDList list = Checkpoints.decode(m, own, origin);
      NDArray counters = list.get("replica");
      if (counters == null || counters.size() != 2 || counters.getDataType() != DataType.FLOAT64) {
        throw new SparkLlmException(
            origin + " lacks the array 'replica' (step count, loss scale); damaged checkpoint");
      }
      double[] c = counters.toDoubleArray();
      trainer.optimizer().load(list, (long) c[0], origin);
      trainer.setLossScale(c[1]);
    }
  }

  /** For the metrics line: the mode and H. */
  Map<String, Object> metrics() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sync", options.mode().configName());
    m.put("sync_every", options.every());
    return m;
  }
}
