package dev.sparkllm.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.JsonFields;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's {@code state.json}: everything besides the weights and optimizer moments that a
 * resumed run needs to continue exactly (step, data position, loss scale, early-stopping state and
 * the loss history), plus what proves the checkpoint fits the data and model it is resumed with.
 * The one writer and reader of that file: a missing, unknown or ill-typed field is an error naming
 * the file and the field.
 *
 * @param bestValLoss the best validation loss so far; null before the first evaluation
 * @param valLosses (step, loss) pairs
 */
public record CheckpointState(
    long step,
    long optimizerSteps,
    TokenData.Position dataPosition,
    long seed,
    String configHash,
    GptConfig model,
    String tokenizerSha256,
    int seqLen,
    double lossScale,
    Double bestValLoss,
    int evalsWithoutImprovement,
    List<Double> trainLosses,
    List<double[]> valLosses) {

  /** How a resumed run reproduces the random draws of an uninterrupted one (documentation). */
  static final String RNG =
      "stateless: data order from (seed, epoch, shard); init and dropout reseeded from"
          + " (seed, step) before each step";

  private static final List<String> FIELDS =
      List.of(
          "step",
          "optimizer_steps",
          "data_position",
          "seed",
          "rng",
          "config_hash",
          "model",
          "tokenizer_sha256",
          "seq_len",
          "loss_scale",
          "best_val_loss",
          "evals_without_improvement",
          "train_losses",
          "val_losses");

  public CheckpointState {
    trainLosses = List.copyOf(trainLosses);
    valLosses = List.copyOf(valLosses);
  }

  /** The JSON text of state.json (field order fixed: tools diff these files). */
  public byte[] toJsonBytes() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("step", step);
    s.put("optimizer_steps", optimizerSteps);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("epoch", dataPosition.epoch());
    d.put("shard", dataPosition.shard());
    d.put("row", dataPosition.row());
    s.put("data_position", d);
    s.put("seed", seed);
    s.put("rng", RNG);
    s.put("config_hash", configHash);
    s.put("model", model);
    s.put("tokenizer_sha256", tokenizerSha256);
    s.put("seq_len", seqLen);
    s.put("loss_scale", lossScale);
    s.put("best_val_loss", bestValLoss);
    s.put("evals_without_improvement", evalsWithoutImprovement);
    s.put("train_losses", trainLosses);
    s.put("val_losses", valLosses);
    return Json.write(s).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Reads {@code CHECKPOINT/state.json}. */
  public static CheckpointState readFile(String checkpointDir) {
    JsonFields f = fields(Storage.join(checkpointDir, Checkpoints.STATE));
    return parse(f.readObject(), f);
  }

  /**
   * @param file what to name in errors (the state.json path)
   */
  public static CheckpointState parse(JsonNode s, String file) {
    JsonFields f = fields(file);
    if (s == null || !s.isObject()) {
      throw new SparkLlmException(file + " is not a JSON object; " + HINT);
    }
    return parse(s, f);
  }

  private static final String HINT = "is it a checkpoint written by spark-llm train?";

  private static JsonFields fields(String file) {
    return new JsonFields(file, HINT);
  }

  private static CheckpointState parse(JsonNode s, JsonFields f) {
    for (String key : FIELDS) {
      if (!s.has(key)) {
        throw f.lacks("required", "", key);
      }
    }
    s.fieldNames()
        .forEachRemaining(
            key -> {
              if (!FIELDS.contains(key)) {
                throw f.invalid("", key, "is unknown");
              }
            });
    JsonNode d = f.object(s, "", "data_position");
    TokenData.Position position =
        new TokenData.Position(
            f.integer(d, "data_position", "epoch"),
            f.integer(d, "data_position", "shard"),
            f.integer(d, "data_position", "row"));
    GptConfig model;
    try {
      model = Json.MAPPER.treeToValue(f.object(s, "", "model"), GptConfig.class);
    } catch (IOException | IllegalArgumentException e) {
      throw f.invalid("", "model", "is not a valid model config");
    }
    List<Double> train = new ArrayList<>();
    for (JsonNode x : f.array(s, "", "train_losses")) {
      if (!x.isNumber()) {
        throw f.lacks("list of numbers", "", "train_losses");
      }
      train.add(x.doubleValue());
    }
    List<double[]> val = new ArrayList<>();
    for (JsonNode x : f.array(s, "", "val_losses")) {
      if (!x.isArray() || x.size() != 2 || !x.get(0).isNumber() || !x.get(1).isNumber()) {
        throw f.lacks("list of [step, loss] pairs", "", "val_losses");
      }
      val.add(new double[] {x.get(0).doubleValue(), x.get(1).doubleValue()});
    }
    return new CheckpointState(
        f.longValue(s, "", "step"),
        f.longValue(s, "", "optimizer_steps"),
        position,
        f.longValue(s, "", "seed"),
        f.text(s, "", "config_hash"),
        model,
        f.optionalText(s, "", "tokenizer_sha256"),
        f.integer(s, "", "seq_len"),
        f.number(s, "", "loss_scale"),
        f.optionalNumber(s, "", "best_val_loss"),
        f.integer(s, "", "evals_without_improvement"),
        train,
        val);
  }
}
