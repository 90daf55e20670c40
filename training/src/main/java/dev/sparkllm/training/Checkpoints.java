package dev.sparkllm.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.SafetensorsHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code RUN/checkpoints/step-NNNNNNN/}: {@code model.safetensors} (Hugging Face GPT-2 names, so
 * transformers loads it with {@code config.json}), {@code optimizer.safetensors} (AdamW moments),
 * {@code state.json} and {@code SHA256SUMS}; then {@code RUN/checkpoints/latest} names it. With
 * {@code training.distributed.sync} local_sgd or diloco also every other rank's optimizer state
 * ({@code optimizer-rank-r.safetensors}) and DiLoCo's outer momentum ({@code outer.safetensors}).
 *
 * <p>Guarantees: a step directory appears whole (written under a unique temporary name and renamed
 * on filesystems; on object stores {@code SHA256SUMS} is the last PUT, so a partial directory never
 * verifies); {@code latest} is replaced atomically and only after its directory is complete;
 * pruning never deletes the checkpoint {@code latest} names. Every reader (resume, evaluate,
 * generate, init_from) verifies the SHA-256 sums, and a missing {@code latest} is recovered from
 * the newest step directory that verifies, never taken for "no checkpoints". Reading lives in
 * {@link CheckpointReader}.
 */
public final class Checkpoints {
  public static final String MODEL = "model.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "state.json";
  public static final String HF_CONFIG = "config.json";
  public static final String TOKENIZER = "tokenizer.json";
  public static final String CHAT_TEMPLATE = "chat_template.jinja";
  public static final String SUMS = "SHA256SUMS";
  public static final String LATEST = "latest";

  /** DiLoCo's outer momentum ({@code training.distributed.sync: diloco}). */
  public static final String OUTER = "outer.safetensors";

  /** The files a checkpoint may list in {@code SHA256SUMS}; any other name is refused. */
  static final Set<String> FILES =
      Set.of(
          MODEL,
          OPTIMIZER,
          STATE,
          HF_CONFIG,
          OUTER,
          LoraCheckpoint.ADAPTER,
          LoraCheckpoint.ADAPTER_CONFIG,
          TOKENIZER,
          CHAT_TEMPLATE);

  /**
   * Rank r's own AdamW state when replicas keep local optimizer state between syncs ({@code
   * local_sgd}, {@code diloco}); rank 0's is {@link #OPTIMIZER}.
   */
  static final Pattern REPLICA_OPTIMIZER =
      Pattern.compile("optimizer-rank-([1-9]\\d{0,5})\\.safetensors");

  /** The name of rank {@code rank}'s optimizer file (rank &gt; 0). */
  static String replicaOptimizer(int rank) {
    return "optimizer-rank-" + rank + ".safetensors";
  }

  /** True for a name a checkpoint's {@code SHA256SUMS} may list. */
  static boolean allowed(String name) {
    return FILES.contains(name) || REPLICA_OPTIMIZER.matcher(name).matches();
  }

  /** Temporary names of {@link #save} and {@code latest}'s writer (and the fixed one of old). */
  private static final Pattern LEFTOVER =
      Pattern.compile(
          "\\.(step-\\d{7,}\\.(tmp|old)-[0-9a-f-]{36}|step-\\d{7,}\\.tmp|latest\\.tmp-[0-9a-f-]+)");

  private Checkpoints() {}

  public static String dir(String run) {
    return Storage.join(run, "checkpoints");
  }

  public static String name(long step) {
    return String.format("step-%07d", step);
  }

  /** Writes a checkpoint of {@code trainer} with {@code state} and points {@code latest} at it. */
  public static String save(String run, Trainer trainer, CheckpointState state, int keep) {
    return save(run, trainer, state, keep, null, Map.of());
  }

  /**
   * {@link #save}; for a LoRA trainer {@code base} names the base model, and the checkpoint holds
   * the adapters (see {@link LoraCheckpoint}) with the merged weights as {@code model.safetensors}.
   * {@code extra} files (name → bytes; names {@link #allowed}) are e.g. the run's tokenizer.json
   * and chat_template.jinja, the outer optimizer's state and the other ranks' optimizer states.
   */
  public static String save(
      String run,
      Trainer trainer,
      CheckpointState state,
      int keep,
      LoraCheckpoint.Base base,
      Map<String, byte[]> extra) {
    long step = state.step();
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (trainer.model().loraConfig() != null) {
      files.putAll(LoraCheckpoint.files(trainer.model(), base));
    } else {
      files.put(MODEL, Gpt2Weights.export(trainer.model()));
    }
    files.put(OPTIMIZER, encode(trainer.optimizer().state()));
    files.put(
        HF_CONFIG,
        Json.write(trainer.model().config().toHfConfig()).getBytes(StandardCharsets.UTF_8));
    extra.forEach(
        (n, b) -> {
          if (!allowed(n) || files.containsKey(n)) {
            throw new IllegalArgumentException("not an extra checkpoint file: " + n);
          }
          files.put(n, b);
        });
    files.put(STATE, state.toJsonBytes());
    StringBuilder sums = new StringBuilder();
    files.forEach((n, b) -> sums.append(Hashing.sha256Hex(b)).append("  ").append(n).append('\n'));
    // Last, so that on object stores a directory whose writer died midway never verifies.
    files.put(SUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
    String target = Storage.join(dir(run), name(step));
    try {
      writeStepDir(target, files);
      CheckpointPointer.write(run, name(step));
      prune(run, keep, name(step));
    } catch (IOException e) {
      throw new SparkLlmException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
    }
    return target;
  }

  private static void writeStepDir(String target, Map<String, byte[]> files) throws IOException {
    Path targetPath = Storage.path(target);
    FileSystem fs = Storage.fs(targetPath);
    if (Storage.isObjectStore(target)) {
      // Rewriting a step (a resume after a crash that left it unnamed): its old sums go first,
      // so a crash midway leaves a directory that fails verification, not a mix of two steps.
      fs.delete(new Path(targetPath, SUMS), false);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Storage.writeAtomically(Storage.join(target, e.getKey()), e.getValue());
      }
      return;
    }
    String unique = UUID.randomUUID().toString();
    Path tmp = new Path(targetPath.getParent(), "." + targetPath.getName() + ".tmp-" + unique);
    fs.mkdirs(tmp);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      try (FSDataOutputStream out = fs.create(new Path(tmp, e.getKey()), false)) {
        out.write(e.getValue());
        out.hsync();
      }
    }
    // A directory cannot be renamed over another one: an old copy is moved aside first (never
    // deleted before its replacement is in place).
    Path aside = null;
    if (fs.exists(targetPath)) {
      aside = new Path(targetPath.getParent(), "." + targetPath.getName() + ".old-" + unique);
      if (!fs.rename(targetPath, aside)) {
        throw new IOException("cannot move the old " + targetPath + " aside");
      }
    }
    if (!fs.rename(tmp, targetPath)) {
      throw new IOException("rename " + tmp + " → " + targetPath + " failed");
    }
    if (aside != null) {
      fs.delete(aside, true);
    }
  }

  /**
   * Deletes all but the {@code keep} newest {@code step-NNNNNNN} directories (by step number), but
   * never the one {@code latest} names nor {@code current}, and nothing that is not a step name;
   * then the temporary copies of writers that died (names only this class makes).
   */
  static void prune(String run, int keep, String current) throws IOException {
    Path dir = Storage.path(dir(run));
    FileSystem fs = Storage.fs(dir);
    if (keep > 0) {
      String named = CheckpointPointer.readName(run);
      List<String> steps = CheckpointPointer.stepDirs(run);
      for (int i = keep; i < steps.size(); i++) {
        String name = steps.get(i);
        if (!name.equals(current) && !name.equals(named)) {
          fs.delete(new Path(dir, name), true);
        }
      }
    }
    for (FileStatus st : fs.listStatus(dir)) {
      if (LEFTOVER.matcher(st.getPath().getName()).matches()) {
        fs.delete(st.getPath(), true);
      }
    }
  }

  /**
   * The checkpoint directory {@code RUN/checkpoints/latest} names, or null when the run has no
   * checkpoints. When {@code latest} is missing, empty, unreadable or names a directory that is
   * gone, but step directories exist, the newest one whose sums verify is returned (and logged);
   * when none verifies, or {@code latest} holds something other than a step name, this is an error,
   * never "no checkpoint".
   */
  public static String latest(String run) {
    return CheckpointPointer.resolve(run);
  }

  /**
   * A verified checkpoint: every file's SHA-256 matches SHA256SUMS.
   *
   * @param files every file the sums list, by name (including the ones above)
   */
  public record Loaded(
      String dir, JsonNode state, byte[] model, byte[] optimizer, Map<String, byte[]> files) {}

  public static Loaded load(String checkpoint) {
    Map<String, byte[]> files = CheckpointReader.readVerified(checkpoint, null);
    for (String need : List.of(MODEL, OPTIMIZER, STATE)) {
      if (!files.containsKey(need)) {
        throw new SparkLlmException("checkpoint " + checkpoint + " lacks " + need + " in " + SUMS);
      }
    }
    try {
      JsonNode state = Json.MAPPER.readTree(files.get(STATE));
      return new Loaded(checkpoint, state, files.get(MODEL), files.get(OPTIMIZER), files);
    } catch (IOException e) {
      throw new SparkLlmException("checkpoint " + checkpoint + ": state.json is not valid JSON");
    }
  }

  /** A model directory's config.json and weights, as read by {@link #readModel}. */
  public record ModelFiles(String dir, byte[] config, byte[] model) {}

  /**
   * A model directory's {@code config.json} and {@code model.safetensors}, for evaluate and
   * generate: verified against {@code SHA256SUMS} when the directory is one of ours; a Hugging Face
   * GPT-2 directory (no {@code state.json}, no sums) is read as is.
   */
  public static ModelFiles readModel(String dir) {
    return CheckpointReader.readModel(dir);
  }

  /**
   * The bytes of a safetensors file for {@code training.init_from}; verified against the {@code
   * SHA256SUMS} beside it when it is a checkpoint's {@code model.safetensors}.
   */
  public static byte[] readWeights(String file) {
    return CheckpointReader.readWeights(file);
  }

  /**
   * The tokenizer.json (or, with {@code name}, another asset) a model directory carries: verified
   * against {@code SHA256SUMS} in a checkpoint, read as is from a Hugging Face directory; null when
   * the directory has none (a checkpoint from before checkpoints carried their tokenizer).
   */
  public static byte[] readAsset(String dir, String name) {
    return CheckpointReader.readAsset(dir, name);
  }

  /** Restores weights and optimizer moments into {@code trainer}. */
  public static void restore(Loaded c, Trainer trainer) {
    Gpt2Weights.load(trainer.model(), c.model(), Storage.join(c.dir(), MODEL));
    trainer.weightsChanged();
    restoreOptimizer(c, trainer);
  }

  static void restoreOptimizer(Loaded c, Trainer trainer) {
    String optimizer = Storage.join(c.dir(), OPTIMIZER);
    try (NDManager m = trainer.manager().newSubManager()) {
      NDList opt = decode(m, c.optimizer(), optimizer);
      trainer.optimizer().load(opt, c.state().path("optimizer_steps").asLong(), optimizer);
    }
  }

  /** A checked safetensors file's arrays, owned by {@code m}; {@code origin} names it in errors. */
  static NDList decode(NDManager m, byte[] safetensors, String origin) {
    SafetensorsHeader.check(safetensors, origin);
    try {
      return NDList.decode(m, new ByteArrayInputStream(safetensors));
    } catch (RuntimeException e) {
      throw new SparkLlmException(origin + " is not a readable safetensors file: " + e, e);
    }
  }

  static byte[] encode(NDList list) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      list.encode(out, NDList.Encoding.SAFETENSORS);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
