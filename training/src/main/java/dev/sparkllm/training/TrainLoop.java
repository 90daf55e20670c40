package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of one replica, single or one of many: restore, then step, maybe evaluate,
 * maybe log, maybe checkpoint. How replicas combine their gradients is the {@link
 * GradientExchange}'s business; rank 0 is the writer of metrics and checkpoints. With {@code
 * training.distributed.sync} local_sgd or diloco, replicas step alone and meet every H steps
 * ({@link LocalSync}); evaluations, checkpoints and parameter checks then happen at those syncs
 * only, when every replica holds the same weights.
 */
final class TrainLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);

  private final Trainer trainer;
  private final TrainingOptions o;
  private final TrainSetup setup;
  private final String output;
  private final String configHash;
  private final GradientExchange exchange;
  private final boolean writer;
  private final MetricsLog metrics;
  private final ProgressLine progress;
  private final long tokensPerStep;

  /** Null with {@code sync: step}. */
  private LocalSync sync;

  private final List<Double> losses = new ArrayList<>();
  private final List<double[]> valLosses = new ArrayList<>();
  private long step;

  /** The step of the last boundary: the last step with {@code sync: step}, else the last sync. */
  private long lastBoundary;

  private double bestVal = Double.POSITIVE_INFINITY;
  private int badEvals;
  private boolean stopped;

  /** The base of a LoRA run (null otherwise), named in its checkpoints. */
  private LoraCheckpoint.Base loraBase;

  private final FineTuning tuning;

  /** The DPO objective (null: the language-model loss), built once the start weights are in. */
  private DpoTrainer dpo;

  /** The last DPO evaluation, logged with the validation loss. */
  private Dpo.Stats dpoEval;

  // The current logging window, and the whole run's tokens.
  private long windowStart;
  private long windowNanos;
  private int windowSteps;
  private long windowTokens;
  private long totalTokens;

  TrainLoop(
      Trainer trainer,
      TrainSetup setup,
      String output,
      String configHash,
      GradientExchange exchange) {
    this(trainer, setup, output, configHash, exchange, FineTuning.NONE);
  }

  TrainLoop(
      Trainer trainer,
      TrainSetup setup,
      String output,
      String configHash,
      GradientExchange exchange,
      FineTuning tuning) {
    this.tuning = tuning;
    this.trainer = trainer;
    this.o = setup.options();
    this.setup = setup;
    this.output = output;
    this.configHash = configHash;
    this.exchange = exchange;
    this.writer = exchange.rank() == 0;
    this.metrics = new MetricsLog(output);
    this.progress = new ProgressLine(o.maxSteps());
    this.tokensPerStep =
        (long) o.batchSize() * o.gradAccumSteps() * setup.manifest().seqLen() * exchange.world();
  }

  /**
   * Runs to {@code training.max_steps} or early stopping; {@code from}: the checkpoint to resume.
   */
  TrainResult run(Checkpoints.Loaded from) {
    TokenData.Position position = restore(from);
    if (o.sync().local()) {
      sync = LocalSync.start(trainer, o.sync(), exchange, output, from);
    }
    lastBoundary = step;
    exchange.check(step, trainer);
    TokenData train =
        new TokenData(
            setup.trainFiles(),
            setup.manifest(),
            o.seed(),
            exchange.rank(),
            exchange.world(),
            position,
            tuning.dpo());
    List<Batch> val = validationBatches();
    logStart();
    // Until a new checkpoint is written the run's result is the one it was restored from: a run
    // resumed already at max_steps or stopped early trains no step and writes none.
    String checkpoint = from != null ? from.dir() : null;
    long start = System.nanoTime();
    windowStart = start;
    while (step < o.maxSteps() && !stopped) {
      Trainer.StepResult r = takeStep(train);
      boolean last = step == o.maxSteps();
      boolean boundary = sync == null || sync.syncsAt(step, o.maxSteps());
      Double valLoss = boundary ? maybeEvaluate(val, last) : null;
      maybeLog(r, valLoss, last);
      boolean due = boundary && crossed(o.checkpointInterval());
      if (boundary && (last || stopped || due) && writer) {
        metrics.write();
        checkpoint =
            Checkpoints.save(
                output,
                trainer,
                state(train.position()),
                o.keepCheckpoints(),
                loraBase,
                checkpointFiles());
        if (sync != null) {
          sync.checkpointed(step);
        }
      }
      if (boundary) {
        lastBoundary = step;
      }
    }
    progress.finish();
    if (writer) {
      metrics.write();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new TrainResult(
        step,
        List.copyOf(losses),
        List.copyOf(valLosses),
        bestVal,
        stopped,
        checkpoint,
        totalTokens / Math.max(seconds, 1e-9));
  }

  /** One optimizer step over this replica's micro-batches, gradients reduced by the exchange. */
  private Trainer.StepResult takeStep(TokenData train) {
    List<Batch> micro = new ArrayList<>(o.gradAccumSteps());
    for (int i = 0; i < o.gradAccumSteps(); i++) {
      micro.add(train.next(o.batchSize()));
    }
    long t0 = System.nanoTime();
    long s = step;
    double local =
        dpo != null
            ? dpo.forwardBackward(PreferenceBatch.fromPairs(micro), s).loss()
            : trainer.forwardBackwardBatches(micro, s);
    double[] mean = {local};
    Trainer.StepResult r =
        sync != null
            ? trainer.applyGradients(s, local, null)
            : trainer.applyGradients(s, local, grads -> mean[0] = exchange.reduce(s, local, grads));
    step++;
    if (sync != null && sync.syncsAt(step, o.maxSteps())) {
      // Between syncs the loss is this replica's own; at a sync, the replicas' mean.
      mean[0] = sync.sync(step, local, mayCheckpoint());
    }
    // Timed with the step: the exchange counts the checksum round as communication, and
    // compute_ms = step time − communication would otherwise go negative (clamped to 0) whenever
    // a replica waits for a slower one's checksum. Replicas only agree at syncs.
    if (sync == null || sync.syncsAt(step, o.maxSteps())) {
      exchange.check(step, trainer);
    }
    windowNanos += System.nanoTime() - t0;
    windowSteps++;
    losses.add(mean[0]);
    // Real (non-pad) tokens: on padded data a row is mostly padding. Other replicas' batches are
    // not seen here; theirs are taken to be like this one's.
    long real = 0;
    for (Batch b : micro) {
      real += b.realInputTokens();
    }
    long tokens = real * exchange.world();
    windowTokens += tokens;
    totalTokens += tokens;
    return new Trainer.StepResult(mean[0], r.gradNorm(), r.lr(), r.skipped());
  }

  /**
   * True when a multiple of {@code interval} lies in (last boundary, step]: every multiple with
   * {@code sync: step}, else the first sync at or after each multiple.
   */
  private boolean crossed(int interval) {
    return interval > 0 && step / interval > lastBoundary / interval;
  }

  /**
   * Whether the sync after this step may be followed by a checkpoint (the replicas must stage their
   * optimizer state before it): one is due, or an evaluation that may stop the run.
   */
  private boolean mayCheckpoint() {
    return step == o.maxSteps()
        || crossed(o.checkpointInterval())
        || (o.earlyStoppingPatience() > 0 && crossed(o.evalInterval()));
  }

  /** What a checkpoint holds besides weights and state: the run's tokenizer, the sync state. */
  private Map<String, byte[]> checkpointFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>(setup.assets());
    if (sync != null) {
      files.putAll(sync.checkpointFiles(step));
    }
    return files;
  }

  /** The validation loss when due (and at the last step); updates early stopping. */
  private Double maybeEvaluate(List<Batch> val, boolean last) {
    if (val.isEmpty() || (!crossed(o.evalInterval()) && !last)) {
      return null;
    }
    double loss;
    if (dpo != null) {
      dpoEval = dpo.evaluate(PreferenceBatch.fromPairs(val));
      loss = dpoEval.loss();
    } else {
      loss = trainer.evalLossBatches(val);
    }
    valLosses.add(new double[] {step, loss});
    if (loss < bestVal - o.earlyStoppingMinDelta()) {
      bestVal = loss;
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
    return loss;
  }

  private void maybeLog(Trainer.StepResult r, Double valLoss, boolean last) {
    if (step % Math.max(1, o.logInterval()) != 0 && !last && valLoss == null) {
      return;
    }
    long now = System.nanoTime();
    double tps = windowTokens / Math.max(1e-9, (now - windowStart) / 1e9);
    windowStart = now;
    windowTokens = 0;
    Map<String, Object> extra = new LinkedHashMap<>();
    if (sync != null) {
      extra.putAll(sync.metrics());
    }
    extra.putAll(exchange.windowMetrics(windowNanos, windowSteps));
    if (loraBase != null) {
      extra.put("trainable_parameters", trainer.trainableCount());
    }
    if (valLoss != null && dpoEval != null) {
      // TRL's names for what a DPO evaluation reports.
      extra.put("eval_rewards_accuracy", dpoEval.accuracy());
      extra.put("eval_rewards_margin", dpoEval.margin());
      extra.put("eval_rewards_chosen", dpoEval.chosenReward());
      extra.put("eval_rewards_rejected", dpoEval.rejectedReward());
    }
    String line = metrics.record(step, r, valLoss, tps, extra);
    windowNanos = 0;
    windowSteps = 0;
    if (writer) {
      exchange.publish(step, line);
      progress.show(step, r, valLoss, tps);
    }
  }

  /** Continues {@code from} (weights, optimizer, counters, data position), or starts fresh. */
  private TokenData.Position restore(Checkpoints.Loaded from) {
    byte[] base = null;
    if (trainer.model().loraConfig() != null) {
      base = LoraCheckpoint.requireBase(o.initFrom());
      loraBase = LoraCheckpoint.base(o.initFrom(), base);
    }
    if (from == null) {
      if (o.initFrom() != null) {
        byte[] weights = base != null ? base : Checkpoints.readWeights(o.initFrom());
        Gpt2Weights.load(trainer.model(), weights, o.initFrom());
        trainer.weightsChanged();
      }
      startDpo();
      return new TokenData.Position(0, 0, 0);
    }
    if (tuning.dpo() && loraBase == null) {
      // DPO's reference is the starting model, not the checkpoint's policy: load it first.
      if (o.initFrom() != null) {
        Gpt2Weights.load(trainer.model(), Checkpoints.readWeights(o.initFrom()), o.initFrom());
      }
      startDpo();
    }
    CheckpointState s =
        CheckpointState.parse(from.state(), Storage.join(from.dir(), Checkpoints.STATE));
    checkResumable(s, from.dir());
    if (loraBase != null) {
      LoraCheckpoint.restore(from, trainer, base, loraBase);
      startDpo(); // the reference is the base without adapters
    } else {
      Checkpoints.restore(from, trainer);
    }
    step = s.step();
    trainer.setLossScale(s.lossScale());
    bestVal = s.bestValLoss() != null ? s.bestValLoss() : Double.POSITIVE_INFINITY;
    badEvals = s.evalsWithoutImprovement();
    // A run that stopped early is finished: resuming it (--resume, --auto-resume, a rerun
    // pipeline) must not train another eval interval past the stop. A larger patience continues.
    stopped = o.earlyStoppingPatience() > 0 && badEvals >= o.earlyStoppingPatience();
    if (stopped) {
      LOG.info("{} stopped early at step {}; nothing left to train", from.dir(), s.step());
    }
    losses.addAll(s.trainLosses());
    valLosses.addAll(s.valLosses());
    metrics.load(step);
    LOG.info("resuming from {} at step {}", from.dir(), step);
    return s.dataPosition();
  }

  private void startDpo() {
    if (tuning.dpo() && dpo == null) {
      dpo = new DpoTrainer(trainer, tuning.dpoBeta());
    }
  }

  private void checkResumable(CheckpointState s, String dir) {
    GptConfig now = trainer.model().config();
    if (!s.model().equals(now)) {
      throw new SparkLlmException(
          "checkpoint "
              + dir
              + " was trained with model "
              + s.model()
              + " but the config asks for "
              + now
              + "; resume with the same model settings or choose another --output");
    }
    String data = setup.manifest().tokenizerSha256();
    if (s.tokenizerSha256() != null && data != null && !s.tokenizerSha256().equals(data)) {
      throw new SparkLlmException(
          "checkpoint "
              + dir
              + " was trained on data from tokenizer "
              + s.tokenizerSha256()
              + " but --data uses tokenizer "
              + data
              + "; resume on the same tokenized data");
    }
    if (!configHash.equals(s.configHash())) {
      LOG.info("resuming with settings that differ from the checkpoint's (config_hash)");
    }
  }

  private List<Batch> validationBatches() {
    if (setup.valFiles().isEmpty() && o.evalInterval() > 0) {
      LOG.warn("no validation shards (tokens/split=validation); validation loss is not reported");
    }
    return setup.valFiles().isEmpty() || o.evalInterval() == 0
        ? List.of()
        : TokenData.fixedBatches(
            setup.valFiles(), setup.manifest(), o.batchSize(), o.evalBatches(), tuning.dpo());
  }

  private void logStart() {
    GptConfig mc = trainer.model().config();
    if (loraBase != null) {
      LOG.info(
          "LoRA {}: {} trainable parameters of {} ({}%), base {}",
          trainer.model().loraConfig(),
          trainer.trainableCount(),
          mc.parameterCount(),
          String.format("%.3f", 100.0 * trainer.trainableCount() / mc.parameterCount()),
          loraBase.path());
    }
    LOG.info(
        "model {} ({} parameters), {} tokens per step, {} steps",
        mc,
        mc.parameterCount(),
        tokensPerStep,
        o.maxSteps());
  }

  private CheckpointState state(TokenData.Position position) {
    return new CheckpointState(
        step,
        trainer.optimizer().steps(),
        position,
        o.seed(),
        configHash,
        trainer.model().config(),
        setup.manifest().tokenizerSha256(),
        setup.manifest().seqLen(),
        trainer.lossScale(),
        Double.isFinite(bestVal) ? bestVal : null,
        badEvals,
        losses,
        valLosses);
  }
}
