package dev.sparkllm.jobs.pipeline;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputLock;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.evaluation.EvaluateJob;
import dev.sparkllm.preprocessing.PreprocessJob;
import dev.sparkllm.preprocessing.tokenize.TokenizeJob;
import dev.sparkllm.preprocessing.tokenizer.TrainTokenizerJob;
import dev.sparkllm.training.TrainResult;
import dev.sparkllm.training.Training;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * preprocess → train-tokenizer → tokenize → train → evaluate from one config. Each stage writes its
 * own subdirectory and, when it finishes, a {@code _STAGE_COMPLETE.json} marker with a hash of the
 * settings it depends on (its config sections, its inputs, and the hash of the stage before it). A
 * rerun skips a stage whose marker matches, so a pipeline that failed half-way resumes where it
 * stopped; a changed setting reruns that stage and everything after it. A training run continues
 * from its latest checkpoint when it is unfinished or only {@code training.max_steps} grew (see
 * {@link PreviousRun}); otherwise it is renamed to {@code run.prev-TIMESTAMP}, never deleted. A
 * lock keeps a second pipeline off the same output.
 */
public final class PipelineRunner {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);
  public static final String MARKER = "_STAGE_COMPLETE.json";
  public static final List<String> STAGES =
      List.of("preprocess", "train-tokenizer", "tokenize", "train", "evaluate");

  /** What happened to each stage ("ran", "skipped", "resumed") and its summary numbers. */
  public record Result(Map<String, String> status, Map<String, Object> summary) {}

  private PipelineRunner() {}

  public static String dir(String output, String stage) {
    switch (stage) {
      case "preprocess":
        return Storage.join(output, "preprocess");
      case "train-tokenizer":
        return Storage.join(output, "tokenizer");
      case "tokenize":
        return Storage.join(output, "tokens");
      case "train":
        return Storage.join(output, "run");
      case "evaluate":
        return Storage.join(output, "eval");
      default:
        throw new SparkLlmException(
            "unknown pipeline stage '" + stage + "'; stages: " + String.join(", ", STAGES));
    }
  }

  /**
   * Runs the configured stages.
   *
   * @param from null, or a stage to rerun (with every later one) even if complete
   */
  public static Result run(
      SparkSession spark, Config cfg, List<String> inputs, String output, String from) {
    List<String> stages = cfg.getStringList("pipeline.stages");
    for (int i = 0; i < stages.size(); i++) {
      dir(output, stages.get(i)); // validates the name
      if (!stages.get(i).equals(STAGES.get(i))) {
        throw new SparkLlmException(
            "config key 'pipeline.stages' must be a prefix of "
                + STAGES
                + " in that order, got "
                + stages);
      }
    }
    if (from != null && !stages.contains(from)) {
      throw new SparkLlmException("--from " + from + ": not among pipeline.stages " + stages);
    }
    if (inputs.isEmpty()) {
      throw new SparkLlmException(
          "no pipeline input: pass --input PATH or set pipeline.input in the config");
    }
    // One pipeline per output: stage locks alone would let a second one skip or interleave stages.
    try (OutputLock lock = OutputLock.acquire(output, "pipeline")) {
      return runStages(spark, cfg, inputs, output, from, stages);
    }
  }

  private static Result runStages(
      SparkSession spark,
      Config cfg,
      List<String> inputs,
      String output,
      String from,
      List<String> stages) {
    Map<String, String> status = new LinkedHashMap<>();
    Map<String, Object> summary = new LinkedHashMap<>();
    String upstream = "";
    boolean force = false;
    for (String stage : stages) {
      force |= stage.equals(from);
      String out = dir(output, stage);
      String hash = stageHash(cfg, stage, inputs, upstream);
      upstream = hash;
      if (!force && hash.equals(completedHash(out))) {
        LOG.info("pipeline: {} is complete for these settings; skipping ({})", stage, out);
        status.put(stage, "skipped");
        summary.put(stage, Json.MAPPER.convertValue(readMarker(out).get("summary"), Map.class));
        continue;
      }
      // Whatever follows a stage that runs must run too: its input changes.
      force = true;
      LOG.info("pipeline: running {} → {}", stage, out);
      Map<String, Object> s = runStage(spark, cfg, stage, inputs, output, status);
      summary.put(stage, s);
      Map<String, Object> marker = new LinkedHashMap<>();
      marker.put("stage", stage);
      marker.put("hash", hash);
      marker.put("summary", s);
      Json.writeFile(Storage.join(out, MARKER), marker);
    }
    return new Result(status, summary);
  }

  private static Map<String, Object> runStage(
      SparkSession spark,
      Config cfg,
      String stage,
      List<String> inputs,
      String output,
      Map<String, String> status) {
    Map<String, Object> s = new LinkedHashMap<>();
    String pre = dir(output, "preprocess");
    String tok = dir(output, "train-tokenizer");
    String tokens = dir(output, "tokenize");
    switch (stage) {
      case "preprocess" -> {
        PreprocessJob.Result r = PreprocessJob.run(spark, cfg, inputs, pre, true);
        s.put("input", r.input());
        s.put("kept", r.kept());
        s.put("rejected", r.rejected());
        status.put(stage, "ran");
      }
      case "train-tokenizer" -> {
        TrainTokenizerJob.Result r = TrainTokenizerJob.run(spark, cfg, pre, tok, true);
        s.put("vocab_size", r.vocabSize());
        s.put("bytes_per_token", r.evalBytesPerToken());
        status.put(stage, "ran");
      }
      case "tokenize" -> {
        TokenizeJob.Result r = TokenizeJob.run(spark, cfg, pre, tok, tokens, true);
        Map<String, Object> seqs = new LinkedHashMap<>();
        r.splits().forEach((split, v) -> seqs.put(split, v.sequences()));
        s.put("sequences", seqs);
        status.put(stage, "ran");
      }
      case "train" -> {
        String run = dir(output, "train");
        boolean resume = PreviousRun.resumable(cfg, run, MARKER, status.get("tokenize"));
        if (resume) {
          // The resumed run finishes with a new marker; until then it is unfinished.
          Storage.delete(Storage.join(run, MARKER));
        } else if (Storage.exists(run)) {
          String prev = PreviousRun.moveAside(run);
          LOG.info("pipeline: kept the previous training run as {}", prev);
          s.put("previous_run", prev);
        }
        TrainResult r = Training.run(spark, cfg, tokens, run, resume);
        s.put("steps", r.finalStep());
        s.put("train_loss", r.lastTrainLoss());
        s.put("val_loss", r.bestValLoss());
        s.put("val_perplexity", Math.exp(r.bestValLoss()));
        s.put("checkpoint", r.checkpoint());
        s.put("metrics", Storage.join(run, "metrics.jsonl"));
        status.put(stage, resume ? "resumed" : "ran");
      }
      case "evaluate" -> {
        String evalOut = dir(output, "evaluate");
        EvaluateJob.EvaluateResult r =
            EvaluateJob.run(
                spark,
                cfg,
                dir(output, "train"),
                tokens,
                evalOut,
                cfg.getStringList("pipeline.tasks"),
                true);
        s.put("test_loss", r.crossEntropy());
        s.put("test_perplexity", r.perplexity());
        s.put("next_token_accuracy", r.nextTokenAccuracy());
        s.put("context_length", r.contextLength());
        s.put("report", Storage.join(evalOut, "report.html"));
        status.put(stage, "ran");
      }
      default -> throw new IllegalStateException(stage);
    }
    return s;
  }

  static String stageHash(Config cfg, String stage, List<String> inputs, String upstream) {
    StringBuilder sb = new StringBuilder(upstream).append('|').append(stage);
    switch (stage) {
      case "preprocess" -> sb.append(sectionHash(cfg, "preprocess")).append(inputs);
      case "train-tokenizer" -> sb.append(sectionHash(cfg, "tokenizer"));
      case "tokenize" -> sb.append(sectionHash(cfg, "tokenize"));
      case "train" -> sb.append(sectionHash(cfg, "model")).append(sectionHash(cfg, "training"));
      case "evaluate" ->
          sb.append(sectionHash(cfg, "evaluate")).append(cfg.getStringList("pipeline.tasks"));
      default -> throw new IllegalStateException(stage);
    }
    return Hashing.sha256Hex(sb.toString());
  }

  static String sectionHash(Config cfg, String section) {
    return Hashing.sha256Hex(cfg.section(section).tree().toString());
  }

  private static String completedHash(String out) {
    if (!Storage.exists(Storage.join(out, MARKER))) {
      return null;
    }
    return readMarker(out).path("hash").asText(null);
  }

  private static com.fasterxml.jackson.databind.JsonNode readMarker(String out) {
    try {
      return Json.MAPPER.readTree(Storage.readString(Storage.join(out, MARKER)));
    } catch (java.io.IOException e) {
      throw new SparkLlmException(
          "stage marker "
              + Storage.join(out, MARKER)
              + " is corrupt; delete it to rerun the stage");
    }
  }

  /** Inputs from --input, else from pipeline.input. */
  public static List<String> inputs(Config cfg, List<String> cli) {
    return cli != null && !cli.isEmpty()
        ? cli
        : new ArrayList<>(cfg.getStringList("pipeline.input"));
  }
}
