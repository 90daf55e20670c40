package dev.sparkllm.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import java.io.Console;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/spark-llm train}: one replica on the driver, reading the tokenize job's shards. Writes
 * {@code RUN/metrics.jsonl}, {@code RUN/config.yaml} and checkpoints (see {@link Checkpoints});
 * {@code resume} continues from {@code RUN/checkpoints/latest} with the same weights, optimizer
 * state, data position and per-step seeds, so the result equals an uninterrupted run.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  private TrainJob() {}

  /**
   * Trains with {@code training.distributed.replicas} data-parallel replicas when it is above 0
   * (Spark barrier stage), else one replica on the driver.
   */
  public static TrainResult runConfigured(
      SparkSession spark, Config config, String data, String output, boolean resume) {
    int replicas = config.getInt("training.distributed.replicas");
    if (replicas < DistributedTrainJob.AUTO) {
      throw new SparkLlmException(
          "training.distributed.replicas must be a count >= 1, 0 (one replica on the driver) or"
              + " -1 (one per task slot), got "
              + replicas);
    }
    return replicas != 0
        ? DistributedTrainJob.run(spark, config, data, output, resume, replicas)
        : run(spark, config, data, output, resume);
  }

  public static TrainResult run(
      SparkSession spark, Config config, String data, String output, boolean resume) {
    Prepared p = prepare(config, data, output, resume);
    try (Trainer trainer = new Trainer(p.model(), p.options())) {
      return new Loop(trainer, p, output, config.hash(), null)
          .run(resume ? Checkpoints.load(p.latest()) : null);
    }
  }

  /** What a run needs once the inputs and the output directory are checked. */
  record Prepared(
      TokenManifest manifest,
      TrainingOptions options,
      GptConfig model,
      List<String> trainFiles,
      List<String> valFiles,
      String latest)
      implements java.io.Serializable {}

  /** Checks data, model and output, and writes RUN/config.yaml (on the driver). */
  static Prepared prepare(Config config, String data, String output, boolean resume) {
    TokenManifest manifest = TokenManifest.read(data);
    TrainingOptions opts = TrainingOptions.fromConfig(config.section("training"));
    GptConfig model = GptConfig.fromConfig(config.section("model"), manifest.vocabSize());
    checkCompatible(model, manifest, data);
    List<String> trainFiles = TokenData.shardFiles(data, "train");
    if (trainFiles.isEmpty()) {
      throw new SparkLlmException(
          "no training shards under " + Storage.join(data, "tokens", "split=train"));
    }
    List<String> valFiles = TokenData.shardFiles(data, "validation");

    String latest = Checkpoints.latest(output);
    if (resume && latest == null) {
      throw new SparkLlmException(
          "--resume: no "
              + Storage.join(Checkpoints.dir(output), Checkpoints.LATEST)
              + "; nothing to resume (drop --resume to start a new run)");
    }
    if (!resume && latest != null) {
      throw new SparkLlmException(
          "output "
              + output
              + " already holds checkpoints; pass --resume to continue that run"
              + " or choose another --output");
    }
    Storage.writeString(Storage.join(output, "config.yaml"), config.toMaskedYaml());
    return new Prepared(
        manifest, opts, model, List.copyOf(trainFiles), List.copyOf(valFiles), latest);
  }

  /**
   * How a replica of a data-parallel run takes part in each step (null: a single replica). All
   * replicas call every method at the same steps.
   */
  interface Exchange {
    int rank();

    int world();

    /** Replaces each gradient by its average over the replicas; returns the mean loss. */
    double reduce(long step, double loss, Map<String, ai.djl.ndarray.NDArray> grads);

    /** Compares parameters across replicas when due (step = steps done so far). */
    void check(long step, Trainer trainer);

    /** Per-step means since the last call (communication ms, bytes), for metrics.jsonl. */
    Map<String, Object> windowMetrics(long computeNanos, int steps);

    /** Hands the writer's metrics line of {@code step} to the driver (for its log). */
    void publish(long step, String metricsLine);
  }

  static void checkCompatible(GptConfig model, TokenManifest manifest, String data) {
    if (model.vocabSize() != manifest.vocabSize()) {
      throw new SparkLlmException(
          "vocab mismatch: the shards in "
              + data
              + " use a tokenizer with vocab_size "
              + manifest.vocabSize()
              + " but model.vocab_size is "
              + model.vocabSize()
              + "; set model.vocab_size: 0 to follow the data, or re-tokenize");
    }
    if (manifest.seqLen() > model.contextLength()) {
      throw new SparkLlmException(
          "seq_len "
              + manifest.seqLen()
              + " of the shards in "
              + data
              + " exceeds the model context of "
              + model.contextLength()
              + "; raise model.context_length or tokenize with a smaller seq_len");
    }
  }

  /** The training loop's state; listeners would be overkill for one loop with four side effects. */
  static final class Loop {
    private final Trainer trainer;
    private final TrainingOptions o;
    private final TokenManifest manifest;
    private final String output;
    private final String configHash;
    private final List<String> trainFiles;
    private final List<String> valFiles;
    private final Exchange exchange;
    private final boolean writer;
    private final List<String> metrics = new ArrayList<>();
    private final List<Double> losses = new ArrayList<>();
    private final List<double[]> valLosses = new ArrayList<>();
    private double bestVal = Double.POSITIVE_INFINITY;
    private int badEvals;
    private final Console console = System.console();
    private long windowNanos;
    private int windowSteps;

    Loop(Trainer trainer, Prepared p, String output, String configHash, Exchange exchange) {
      this.trainer = trainer;
      this.o = p.options();
      this.manifest = p.manifest();
      this.output = output;
      this.configHash = configHash;
      this.trainFiles = p.trainFiles();
      this.valFiles = p.valFiles();
      this.exchange = exchange;
      this.writer = exchange == null || exchange.rank() == 0;
    }

    TrainResult run(Checkpoints.Loaded from) {
      long step = 0;
      TokenData.Position pos = new TokenData.Position(0, 0, 0);
      if (from != null) {
        JsonNode s = from.state();
        checkResumable(from);
        Checkpoints.restore(from, trainer);
        step = s.get("step").asLong();
        JsonNode d = s.get("data_position");
        pos =
            new TokenData.Position(
                d.get("epoch").asInt(), d.get("shard").asInt(), d.get("row").asInt());
        trainer.setLossScale(s.path("loss_scale").asDouble(1.0));
        bestVal =
            s.path("best_val_loss").isNumber()
                ? s.get("best_val_loss").asDouble()
                : Double.POSITIVE_INFINITY;
        badEvals = s.path("evals_without_improvement").asInt();
        s.path("train_losses").forEach(x -> losses.add(x.asDouble()));
        s.path("val_losses")
            .forEach(x -> valLosses.add(new double[] {x.get(0).asDouble(), x.get(1).asDouble()}));
        loadMetrics(step);
        LOG.info("resuming from {} at step {}", from.dir(), step);
      } else if (o.initFrom() != null) {
        Gpt2Weights.load(trainer.model(), Storage.readBytes(o.initFrom()), o.initFrom());
        trainer.weightsChanged();
      }
      int rank = exchange == null ? 0 : exchange.rank();
      int world = exchange == null ? 1 : exchange.world();
      if (exchange != null) {
        exchange.check(step, trainer);
      }
      TokenData train = new TokenData(trainFiles, manifest, o.seed(), rank, world, pos);
      List<int[][]> val =
          valFiles.isEmpty() || o.evalInterval() == 0
              ? List.of()
              : TokenData.fixedBatches(valFiles, manifest, o.batchSize(), o.evalBatches());
      if (valFiles.isEmpty() && o.evalInterval() > 0) {
        LOG.warn("no validation shards (tokens/split=validation); validation loss is not reported");
      }
      GptConfig mc = trainer.model().config();
      long tokensPerStep = (long) o.batchSize() * o.gradAccumSteps() * manifest.seqLen() * world;
      LOG.info(
          "model {} ({} parameters), {} tokens per step, {} steps",
          mc,
          mc.parameterCount(),
          tokensPerStep,
          o.maxSteps());

      String checkpoint = null;
      boolean stopped = false;
      long startNanos = System.nanoTime();
      long windowStart = startNanos;
      long windowTokens = 0;
      long totalTokens = 0;
      while (step < o.maxSteps() && !stopped) {
        List<int[][]> micro = new ArrayList<>(o.gradAccumSteps());
        for (int i = 0; i < o.gradAccumSteps(); i++) {
          micro.add(train.next(o.batchSize()));
        }
        long t0 = System.nanoTime();
        Trainer.StepResult r;
        if (exchange == null) {
          r = trainer.step(micro, step);
        } else {
          double local = trainer.forwardBackward(micro, step);
          long s0 = step;
          double[] mean = {local};
          r = trainer.applyGradients(step, local, g -> mean[0] = exchange.reduce(s0, local, g));
          r = new Trainer.StepResult(mean[0], r.gradNorm(), r.lr(), r.skipped());
        }
        windowNanos += System.nanoTime() - t0;
        windowSteps++;
        step++;
        if (exchange != null) {
          exchange.check(step, trainer);
        }
        losses.add(r.loss());
        windowTokens += tokensPerStep;
        totalTokens += tokensPerStep;
        boolean last = step == o.maxSteps();
        Double valLoss = null;
        if (!val.isEmpty() && (step % o.evalInterval() == 0 || last)) {
          valLoss = trainer.evalLoss(val);
          valLosses.add(new double[] {step, valLoss});
          if (valLoss < bestVal - o.earlyStoppingMinDelta()) {
            bestVal = valLoss;
            badEvals = 0;
          } else if (o.earlyStoppingPatience() > 0 && ++badEvals >= o.earlyStoppingPatience()) {
            stopped = true;
            LOG.info(
                "early stopping at step {}: validation loss has not improved for {} evaluations"
                    + " (best {})",
                step,
                badEvals,
                bestVal);
          }
        }
        boolean logNow = step % Math.max(1, o.logInterval()) == 0 || last || valLoss != null;
        if (logNow) {
          long now = System.nanoTime();
          double tps = windowTokens / Math.max(1e-9, (now - windowStart) / 1e9);
          windowStart = now;
          windowTokens = 0;
          record(step, r, valLoss, tps);
          windowNanos = 0;
          windowSteps = 0;
          if (writer) {
            progress(step, r, valLoss, tps);
          }
        }
        boolean ckpt =
            last || stopped || (o.checkpointInterval() > 0 && step % o.checkpointInterval() == 0);
        if (ckpt && writer) {
          writeMetrics();
          checkpoint =
              Checkpoints.save(output, trainer, state(step, train.position()), o.keepCheckpoints());
        }
      }
      if (console != null) {
        console.printf("%n");
      }
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      if (writer) {
        writeMetrics();
      }
      return new TrainResult(
          step,
          List.copyOf(losses),
          List.copyOf(valLosses),
          bestVal,
          stopped,
          checkpoint,
          totalTokens / Math.max(seconds, 1e-9));
    }

    private void checkResumable(Checkpoints.Loaded from) {
      JsonNode s = from.state();
      GptConfig saved;
      try {
        saved = Json.MAPPER.treeToValue(s.get("model"), GptConfig.class);
      } catch (Exception e) {
        throw new SparkLlmException(
            "checkpoint " + from.dir() + ": state.json lacks a valid model");
      }
      GptConfig now = trainer.model().config();
      if (!saved.equals(now)) {
        throw new SparkLlmException(
            "checkpoint "
                + from.dir()
                + " was trained with model "
                + saved
                + " but the config asks for "
                + now
                + "; resume with the same model settings or choose another --output");
      }
      String sha =
          s.path("tokenizer_sha256").isTextual() ? s.get("tokenizer_sha256").asText() : null;
      if (sha != null
          && manifest.tokenizerSha256() != null
          && !sha.equals(manifest.tokenizerSha256())) {
        throw new SparkLlmException(
            "checkpoint "
                + from.dir()
                + " was trained on data from tokenizer "
                + sha
                + " but --data uses tokenizer "
                + manifest.tokenizerSha256()
                + "; resume on the same tokenized data");
      }
      if (!configHashMatches(s)) {
        LOG.info("resuming with settings that differ from the checkpoint's (config_hash)");
      }
    }

    private boolean configHashMatches(JsonNode s) {
      return configHash.equals(s.path("config_hash").asText());
    }

    private Map<String, Object> state(long step, TokenData.Position pos) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("step", step);
      s.put("optimizer_steps", trainer.optimizer().steps());
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("epoch", pos.epoch());
      d.put("shard", pos.shard());
      d.put("row", pos.row());
      s.put("data_position", d);
      s.put("seed", o.seed());
      s.put(
          "rng",
          "stateless: data order from (seed, epoch, shard); init and dropout reseeded from"
              + " (seed, step) before each step");
      s.put("config_hash", configHash);
      s.put("model", trainer.model().config());
      s.put("tokenizer_sha256", manifest.tokenizerSha256());
      s.put("seq_len", manifest.seqLen());
      s.put("loss_scale", trainer.lossScale());
      s.put("best_val_loss", Double.isFinite(bestVal) ? bestVal : null);
      s.put("evals_without_improvement", badEvals);
      s.put("train_losses", losses);
      s.put("val_losses", valLosses);
      return s;
    }

    private void record(long step, Trainer.StepResult r, Double val, double tps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", step);
      m.put("train_loss", r.loss());
      m.put("val_loss", val);
      if (val != null) {
        m.put("overfit_gap", val - r.loss());
      }
      m.put("lr", r.lr());
      m.put("grad_norm", r.gradNorm());
      m.put("tokens_per_s", tps);
      if (r.skipped()) {
        m.put("skipped", true);
      }
      if (exchange != null) {
        m.put("replicas", exchange.world());
        m.putAll(exchange.windowMetrics(windowNanos, windowSteps));
      }
      String line;
      try {
        line =
            Json.MAPPER
                .writer()
                .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(m);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      metrics.add(line);
      if (exchange != null && writer) {
        exchange.publish(step, line);
      }
    }

    /** Rewritten whole (atomically): object stores cannot append. */
    private void writeMetrics() {
      StringBuilder sb = new StringBuilder();
      metrics.forEach(l -> sb.append(l).append('\n'));
      Storage.writeString(Storage.join(output, "metrics.jsonl"), sb.toString());
    }

    private void loadMetrics(long upTo) {
      String path = Storage.join(output, "metrics.jsonl");
      if (!Storage.exists(path)) {
        return;
      }
      for (String line : Storage.readString(path).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        try {
          if (Json.MAPPER.readTree(line).path("step").asLong() <= upTo) {
            metrics.add(line);
          }
        } catch (Exception e) {
          // A torn last line from a crash: the checkpoint is the source of truth.
        }
      }
    }

    private void progress(long step, Trainer.StepResult r, Double val, double tps) {
      String line =
          String.format(
              "step %d/%d  loss %.4f%s  lr %.2e  |g| %.3f  %.0f tok/s",
              step,
              o.maxSteps(),
              r.loss(),
              val == null ? "" : String.format("  val %.4f", val),
              r.lr(),
              r.gradNorm(),
              tps);
      if (console != null) {
        int width = 30;
        int done = (int) (width * step / o.maxSteps());
        console.printf("\r[%s%s] %s", "=".repeat(done), " ".repeat(width - done), line);
        console.flush();
      } else {
        LOG.info(line);
      }
    }
  }
}
