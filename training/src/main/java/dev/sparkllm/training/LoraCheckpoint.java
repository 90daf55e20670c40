package dev.sparkllm.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.LoraConfig;
import dev.sparkllm.training.model.SafetensorsHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The LoRA files of a checkpoint, in PEFT's layout: {@code adapter_model.safetensors} (tensors
 * named {@code base_model.model.transformer.h.N.attn.c_attn.lora_A.weight}, ...) and {@code
 * adapter_config.json} (PEFT's LoraConfig fields plus {@code base_model_sha256}, the SHA-256 of the
 * base's model.safetensors). The checkpoint's {@code model.safetensors} holds the merged weights,
 * so evaluate, generate and Hugging Face read it as a plain GPT-2; resuming starts again from the
 * base ({@code training.init_from}, checked against that SHA) and the adapters.
 */
public final class LoraCheckpoint {
  public static final String ADAPTER = "adapter_model.safetensors";
  public static final String ADAPTER_CONFIG = "adapter_config.json";
  static final String PEFT_PREFIX = "base_model.model.transformer.";

  private LoraCheckpoint() {}

  /** The base model a LoRA run adapts: where its weights are and their SHA-256. */
  public record Base(String path, String sha256) implements Serializable {}

  /** The base in {@code initFrom} (required: adapters on random weights make no sense). */
  static Base base(String initFrom, byte[] weights) {
    return new Base(initFrom, Hashing.sha256Hex(weights));
  }

  static byte[] requireBase(String initFrom) {
    if (initFrom == null) {
      throw new SparkLlmException(
          "LoRA fine-tuning needs a base model: set training.init_from (finetune --base) to its"
              + " model.safetensors");
    }
    return Checkpoints.readWeights(initFrom);
  }

  /** adapter_model.safetensors, adapter_config.json and the merged model.safetensors. */
  static Map<String, byte[]> files(Gpt model, Base base) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(ADAPTER, adapterWeights(model));
    files.put(ADAPTER_CONFIG, adapterConfig(model.loraConfig(), base));
    try (NDManager m =
        model.namedParameters().get("wte.weight").getArray().getManager().newSubManager()) {
      files.put(Checkpoints.MODEL, Gpt2Weights.export(model, model.mergedWeights(m)));
    }
    return files;
  }

  public static byte[] adapterWeights(Gpt model) {
    NDList list = new NDList();
    for (Map.Entry<String, Parameter> e : model.loraParameters().entrySet()) {
      NDArray a = e.getValue().getArray().duplicate();
      a.setName(PEFT_PREFIX + e.getKey());
      list.add(a);
    }
    try {
      return Checkpoints.encode(list);
    } finally {
      list.close();
    }
  }

  public static byte[] adapterConfig(LoraConfig c, Base base) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("peft_type", "LORA");
    m.put("task_type", "CAUSAL_LM");
    m.put("base_model_name_or_path", base.path());
    m.put("base_model_sha256", base.sha256());
    m.put("r", c.rank());
    m.put("lora_alpha", c.alpha());
    m.put("lora_dropout", c.dropout());
    m.put("target_modules", c.targets());
    // GPT-2's Conv1D stores W as [in, out]; lora_A/lora_B themselves are in Linear layout.
    m.put("fan_in_fan_out", true);
    m.put("bias", "none");
    m.put("inference_mode", true);
    m.put("init_lora_weights", true);
    m.put("modules_to_save", null);
    return Json.write(m).getBytes(StandardCharsets.UTF_8);
  }

  /** The settings and the base SHA in an adapter_config.json. */
  public record Adapter(LoraConfig config, String baseSha256) {}

  public static Adapter parseConfig(byte[] json, String origin) {
    JsonNode n;
    try {
      n = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new SparkLlmException(origin + " is not valid JSON: " + e.getMessage());
    }
    if (!"LORA".equals(n.path("peft_type").asText())) {
      throw new SparkLlmException(origin + " is not a LoRA adapter config (peft_type LORA)");
    }
    for (String key : List.of("r", "lora_alpha", "target_modules")) {
      if (!n.hasNonNull(key)) {
        throw new SparkLlmException(origin + " lacks the field '" + key + "'");
      }
    }
    List<String> targets = new ArrayList<>();
    JsonNode t = n.get("target_modules");
    if (t.isArray()) {
      t.forEach(x -> targets.add(x.asText()));
    } else {
      targets.add(t.asText());
    }
    LoraConfig c =
        new LoraConfig(
            n.get("r").asInt(),
            n.get("lora_alpha").asDouble(),
            n.path("lora_dropout").asDouble(0),
            targets);
    JsonNode sha = n.get("base_model_sha256");
    return new Adapter(c, sha == null || sha.isNull() ? null : sha.asText());
  }

  /** Copies the adapter tensors of {@code bytes} into the model's adapters (names checked). */
  public static void loadAdapters(Gpt model, byte[] bytes, String origin) {
    SafetensorsHeader.check(bytes, origin);
    Map<String, Parameter> params = model.loraParameters();
    NDManager owner = model.namedParameters().get("wte.weight").getArray().getManager();
    try (NDManager m = owner.newSubManager()) {
      NDList list = NDList.decode(m, new ByteArrayInputStream(bytes));
      Set<String> missing = new TreeSet<>(params.keySet());
      for (NDArray src : list) {
        String name = src.getName() == null ? "" : src.getName();
        String local = name.startsWith(PEFT_PREFIX) ? name.substring(PEFT_PREFIX.length()) : name;
        Parameter p = params.get(local);
        if (p == null || !p.getArray().getShape().equals(src.getShape())) {
          throw new SparkLlmException(
              origin
                  + ": tensor "
                  + name
                  + (p == null
                      ? " is no adapter of this model and config"
                      : " has shape " + src.getShape() + ", not " + p.getArray().getShape())
                  + "; the adapter belongs to another base or adapter_config.json");
        }
        p.getArray().set(new NDIndex(":"), src.toType(DataType.FLOAT32, false));
        missing.remove(local);
      }
      if (!missing.isEmpty()) {
        throw new SparkLlmException(origin + " lacks adapter tensors: " + missing);
      }
    }
  }

  /**
   * Restores a LoRA checkpoint into {@code trainer}: the base from {@code baseWeights} (which must
   * be the base the checkpoint adapts), the adapters, and the optimizer's moments.
   */
  static void restore(Checkpoints.Loaded c, Trainer trainer, byte[] baseWeights, Base base) {
    Map<String, byte[]> f = CheckpointReader.readVerified(c.dir(), Set.of(ADAPTER, ADAPTER_CONFIG));
    Adapter a = parseConfig(f.get(ADAPTER_CONFIG), Storage.join(c.dir(), ADAPTER_CONFIG));
    if (!a.config().equals(trainer.model().loraConfig())) {
      throw new SparkLlmException(
          "checkpoint "
              + c.dir()
              + " holds adapters "
              + a.config()
              + " but finetune.lora asks for "
              + trainer.model().loraConfig()
              + "; resume with the same finetune.lora settings");
    }
    if (a.baseSha256() != null && !a.baseSha256().equals(base.sha256())) {
      throw new SparkLlmException(
          "checkpoint "
              + c.dir()
              + " adapts a base with SHA-256 "
              + a.baseSha256()
              + " but training.init_from "
              + base.path()
              + " has "
              + base.sha256()
              + "; resume from the same base model");
    }
    Gpt2Weights.load(trainer.model(), baseWeights, base.path());
    loadAdapters(trainer.model(), f.get(ADAPTER), Storage.join(c.dir(), ADAPTER));
    trainer.weightsChanged();
    Checkpoints.restoreOptimizer(c, trainer);
  }
}
