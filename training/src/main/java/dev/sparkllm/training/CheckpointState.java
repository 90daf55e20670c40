package dev.sparkllm.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  private static final Set<String> REQUIRED =
      Set.of(
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
    String path = Storage.join(checkpointDir, Checkpoints.STATE);
    if (!Storage.exists(path)) {
      throw new SparkLlmException(path + " is missing; is " + checkpointDir + " a checkpoint?");
    }
    try {
      return parse(Json.MAPPER.readTree(Storage.readString(path)), path);
    } catch (IOException e) {
      throw new SparkLlmException(path + " is not valid JSON: " + e.getMessage());
    }
  }

  /**
   * @param file what to name in errors (the state.json path)
   */
  public static CheckpointState parse(JsonNode s, String file) {
    if (s == null || !s.isObject()) {
      throw new SparkLlmException(file + " is not a JSON object");
    }
    for (String key : REQUIRED) {
      if (!s.has(key)) {
        throw new SparkLlmException(file + " lacks the field '" + key + "'");
      }
    }
    s.fieldNames()
        .forEachRemaining(
            key -> {
              if (!REQUIRED.contains(key)) {
                throw new SparkLlmException(
                    file + " has the unknown field '" + key + "'; was it written by this tool?");
              }
            });
    JsonNode d = s.get("data_position");
    TokenData.Position position =
        new TokenData.Position(
            integer(d, "epoch", file, "data_position."),
            integer(d, "shard", file, "data_position."),
            integer(d, "row", file, "data_position."));
    GptConfig model;
    try {
      model = Json.MAPPER.treeToValue(s.get("model"), GptConfig.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new SparkLlmException(file + ": the field 'model' is not a valid model config");
    }
    List<Double> train = new ArrayList<>();
    for (JsonNode x : array(s, "train_losses", file)) {
      train.add(number(x, "train_losses[]", file));
    }
    List<double[]> val = new ArrayList<>();
    for (JsonNode x : array(s, "val_losses", file)) {
      if (!x.isArray() || x.size() != 2) {
        throw new SparkLlmException(file + ": val_losses holds [step, loss] pairs, got " + x);
      }
      val.add(
          new double[] {
            number(x.get(0), "val_losses[]", file), number(x.get(1), "val_losses[]", file)
          });
    }
    JsonNode best = s.get("best_val_loss");
    return new CheckpointState(
        longValue(s, "step", file),
        longValue(s, "optimizer_steps", file),
        position,
        longValue(s, "seed", file),
        text(s, "config_hash", file),
        model,
        s.get("tokenizer_sha256").isNull() ? null : text(s, "tokenizer_sha256", file),
        integer(s, "seq_len", file, ""),
        number(s.get("loss_scale"), "loss_scale", file),
        best.isNull() ? null : number(best, "best_val_loss", file),
        integer(s, "evals_without_improvement", file, ""),
        train,
        val);
  }

  private static long longValue(JsonNode s, String key, String file) {
    JsonNode v = s.get(key);
    if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new SparkLlmException(file + ": the field '" + key + "' must be an integer, got " + v);
    }
    return v.longValue();
  }

  private static int integer(JsonNode s, String key, String file, String prefix) {
    JsonNode v = s == null ? null : s.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new SparkLlmException(
          file + ": the field '" + prefix + key + "' must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static double number(JsonNode v, String key, String file) {
    if (v == null || !v.isNumber()) {
      throw new SparkLlmException(file + ": the field '" + key + "' must be a number, got " + v);
    }
    return v.doubleValue();
  }

  private static String text(JsonNode s, String key, String file) {
    JsonNode v = s.get(key);
    if (v == null || !v.isTextual()) {
      throw new SparkLlmException(file + ": the field '" + key + "' must be a string, got " + v);
    }
    return v.asText();
  }

  private static JsonNode array(JsonNode s, String key, String file) {
    JsonNode v = s.get(key);
    if (!v.isArray()) {
      throw new SparkLlmException(file + ": the field '" + key + "' must be an array");
    }
    return v;
  }
}
