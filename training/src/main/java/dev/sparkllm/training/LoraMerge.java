package dev.sparkllm.training;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.optim.Gradients;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bin/spark-llm merge}: folds LoRA adapters into their base, W' = W + (alpha/r)·B·A for
 * every adapted weight, and writes a plain model directory ({@code model.safetensors}, {@code
 * config.json}, {@code SHA256SUMS}) that evaluate, generate, {@code training.init_from} and Hugging
 * Face read like any GPT-2.
 */
public final class LoraMerge {
  private LoraMerge() {}

  /**
   * @param base a model directory (a checkpoint step directory or a Hugging Face GPT-2 directory)
   * @param adapter a LoRA checkpoint step directory, or a PEFT directory with {@code
   *     adapter_model.safetensors} and {@code adapter_config.json}
   * @return the number of weights merged
   */
  public static int merge(String base, String adapter, String output, boolean overwrite) {
    Checkpoints.ModelFiles baseFiles = Checkpoints.readModel(base);
    Map<String, byte[]> a = adapterFiles(adapter);
    String configPath = Storage.join(adapter, LoraCheckpoint.ADAPTER_CONFIG);
    LoraCheckpoint.Adapter settings =
        LoraCheckpoint.parseConfig(a.get(LoraCheckpoint.ADAPTER_CONFIG), configPath);
    String sha = Hashing.sha256Hex(baseFiles.model());
    if (settings.baseSha256() != null && !settings.baseSha256().equals(sha)) {
      throw new SparkLlmException(
          configPath
              + " says the adapter was trained on a base with SHA-256 "
              + settings.baseSha256()
              + " but --base "
              + base
              + " has "
              + sha
              + "; merge into the base the adapter was trained on");
    }
    Map<String, Object> hf;
    try {
      hf = Json.MAPPER.readValue(baseFiles.config(), new TypeReference<>() {});
    } catch (IOException e) {
      throw new SparkLlmException(
          Storage.join(base, Checkpoints.HF_CONFIG) + " is not valid JSON: " + e.getMessage());
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    int merged;
    try (Gradients.Mode off = Gradients.disabled();
        NDManager manager = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(manager, GptConfig.fromHfConfig(hf));
      Gpt2Weights.load(model, baseFiles.model(), Storage.join(base, Checkpoints.MODEL));
      model.addLora(manager, settings.config());
      LoraCheckpoint.loadAdapters(
          model, a.get(LoraCheckpoint.ADAPTER), Storage.join(adapter, LoraCheckpoint.ADAPTER));
      try (NDManager scope = manager.newSubManager()) {
        Map<String, ai.djl.ndarray.NDArray> w = model.mergedWeights(scope);
        merged = w.size();
        files.put(Checkpoints.MODEL, Gpt2Weights.export(model, w));
      }
    }
    files.put(Checkpoints.HF_CONFIG, baseFiles.config());
    StringBuilder sums = new StringBuilder();
    files.forEach((n, b) -> sums.append(Hashing.sha256Hex(b)).append("  ").append(n).append('\n'));
    try (OutputDir out = OutputDir.open("merge", output, overwrite, List.of(base, adapter))) {
      files.forEach((n, b) -> Storage.writeAtomically(Storage.join(out.path(), n), b));
      Storage.writeString(Storage.join(out.path(), Checkpoints.SUMS), sums.toString());
      out.commit();
    }
    return merged;
  }

  private static Map<String, byte[]> adapterFiles(String adapter) {
    Set<String> names = Set.of(LoraCheckpoint.ADAPTER, LoraCheckpoint.ADAPTER_CONFIG);
    if (Storage.exists(Storage.join(adapter, Checkpoints.SUMS))) {
      return CheckpointReader.readVerified(adapter, names);
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String n : names) {
      String f = Storage.join(adapter, n);
      if (!Storage.exists(f)) {
        throw new SparkLlmException(
            adapter
                + " lacks "
                + n
                + "; pass a LoRA checkpoint (RUN/checkpoints/step-N of finetune --method lora) or a"
                + " PEFT adapter directory");
      }
      out.put(n, Storage.readBytes(f));
    }
    return out;
  }
}
