package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop of one replica, single or one of many: restore, then step, maybe evaluate,
 * maybe log, maybe checkpoint. How replicas combine their gradients is the {@link
 * GradientExchange}'s business; rank 0 is the writer of metrics and checkpoints.
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

  private final List<Double> losses = new ArrayList<>();
  private final List<double[]> valLosses = new ArrayList<>();
  private long step;
  private double bestVal = Double.POSITIVE_INFINITY;
  private int badEvals;
  private boolean stopped;
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
    exchange.check(step, trainer);
    TokenData train =
        new TokenData(
            setup.trainFiles(),
            setup.manifest(),
            o.seed(),
            exchange.rank(),
            exchange.world(),
            position);
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
      Double valLoss = maybeEvaluate(val, last);
      maybeLog(r, valLoss, last);
      boolean due = o.checkpointInterval() > 0 && step % o.checkpointInterval() == 0;
      if ((last || stopped || due) && writer) {
        metrics.write();
        checkpoint =
            Checkpoints.save(
                output, trainer, state(train.position()), o.keepCheckpoints(), setup.assets());
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
    double local = trainer.forwardBackwardBatches(micro, s);
    double[] mean = {local};
    Trainer.StepResult r =
        trainer.applyGradients(s, local, grads -> mean[0] = exchange.reduce(s, local, grads));
    step++;
    // Timed with the step: the exchange counts the checksum round as communication, and
    // compute_ms = step time − communication would otherwise go negative (clamped to 0) whenever
    // a replica waits for a slower one's checksum.
    exchange.check(step, trainer);
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

  /** The validation loss when due (and at the last step); updates early stopping. */
  private Double maybeEvaluate(List<Batch> val, boolean last) {
    if (val.isEmpty() || (step % o.evalInterval() != 0 && !last)) {
      return null;
    }
    double loss = trainer.evalLossBatches(val);
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
    String line =
        metrics.record(step, r, valLoss, tps, exchange.windowMetrics(windowNanos, windowSteps));
    windowNanos = 0;
    windowSteps = 0;
    if (writer) {
      exchange.publish(step, line);
      progress.show(step, r, valLoss, tps);
    }
  }

  /** Continues {@code from} (weights, optimizer, counters, data position), or starts fresh. */
  private TokenData.Position restore(Checkpoints.Loaded from) {
    if (from == null) {
      if (o.initFrom() != null) {
        Gpt2Weights.load(trainer.model(), Checkpoints.readWeights(o.initFrom()), o.initFrom());
        trainer.weightsChanged();
      }
      return new TokenData.Position(0, 0, 0);
    }
    CheckpointState s =
        CheckpointState.parse(from.state(), Storage.join(from.dir(), Checkpoints.STATE));
    checkResumable(s, from.dir());
    Checkpoints.restore(from, trainer);
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
            setup.valFiles(), setup.manifest(), o.batchSize(), o.evalBatches());
  }

  private void logStart() {
    GptConfig mc = trainer.model().config();
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
