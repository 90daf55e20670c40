package dev.sparkllm.training;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.training.model.GptConfig;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run needs once its inputs and output are checked, prepared once on the driver and
 * shipped to every replica.
 *
 * @param latest the checkpoint {@code RUN/checkpoints/latest} names, or null
 * @param assets files every checkpoint carries besides the weights: the data's {@code
 *     tokenizer.json} and, after fine-tuning on chat data, {@code chat_template.jinja}, so that a
 *     checkpoint is usable without the data directory
 */
record TrainSetup(
    TokenManifest manifest,
    TrainingOptions options,
    GptConfig model,
    List<String> trainFiles,
    List<String> valFiles,
    String latest,
    Map<String, byte[]> assets)
    implements Serializable {

  /** Checks data, model and output, and writes RUN/config.yaml (on the driver). */
  static TrainSetup prepare(Config config, String data, String output, boolean resume) {
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
    return new TrainSetup(
        manifest,
        opts,
        model,
        List.copyOf(trainFiles),
        List.copyOf(valFiles),
        latest,
        assets(data));
  }

  /** DATA's tokenizer.json and chat_template.jinja, those that exist, by checkpoint file name. */
  static Map<String, byte[]> assets(String data) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String name : List.of(Checkpoints.TOKENIZER, Checkpoints.CHAT_TEMPLATE)) {
      String file = Storage.join(data, name);
      if (Storage.exists(file)) {
        out.put(name, Storage.readBytes(file));
      }
    }
    return out;
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
}
