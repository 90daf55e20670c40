package dev.sparkllm.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt2Weights;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code RUN/checkpoints/step-NNNNNNN/}: {@code model.safetensors} (Hugging Face GPT-2 names, so
 * transformers loads it with {@code config.json}), {@code optimizer.safetensors} (AdamW moments),
 * {@code state.json} and {@code SHA256SUMS}; then {@code RUN/checkpoints/latest} names it.
 *
 * <p>Atomicity: on filesystems the directory is written under a temporary name and renamed; on
 * object stores each file is one PUT. Either way {@code latest} is written last, so it only ever
 * names a complete checkpoint.
 */
public final class Checkpoints {
  public static final String MODEL = "model.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "state.json";
  public static final String HF_CONFIG = "config.json";
  public static final String SUMS = "SHA256SUMS";
  public static final String LATEST = "latest";

  private Checkpoints() {}

  public static String dir(String run) {
    return Storage.join(run, "checkpoints");
  }

  public static String name(long step) {
    return String.format("step-%07d", step);
  }

  /** Writes a checkpoint of {@code trainer} with {@code state} and points {@code latest} at it. */
  public static String save(String run, Trainer trainer, CheckpointState state, int keep) {
    long step = state.step();
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(MODEL, Gpt2Weights.export(trainer.model()));
    files.put(OPTIMIZER, encode(trainer.optimizer().state()));
    files.put(
        HF_CONFIG,
        Json.write(trainer.model().config().toHfConfig()).getBytes(StandardCharsets.UTF_8));
    files.put(STATE, state.toJsonBytes());
    StringBuilder sums = new StringBuilder();
    files.forEach((n, b) -> sums.append(Hashing.sha256Hex(b)).append("  ").append(n).append('\n'));
    files.put(SUMS, sums.toString().getBytes(StandardCharsets.UTF_8));

    String target = Storage.join(dir(run), name(step));
    Path targetPath = Storage.path(target);
    FileSystem fs = Storage.fs(targetPath);
    try {
      if (Storage.isObjectStore(target)) {
        files.forEach((n, b) -> Storage.writeAtomically(Storage.join(target, n), b));
      } else {
        Path tmp = new Path(targetPath.getParent(), "." + targetPath.getName() + ".tmp");
        fs.delete(tmp, true);
        fs.mkdirs(tmp);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
          Storage.writeAtomically(new Path(tmp, e.getKey()).toString(), e.getValue());
        }
        fs.delete(targetPath, true);
        if (!fs.rename(tmp, targetPath)) {
          throw new IOException("rename " + tmp + " → " + targetPath + " failed");
        }
      }
      Storage.writeString(Storage.join(dir(run), LATEST), name(step) + "\n");
      prune(fs, Storage.path(dir(run)), keep);
    } catch (IOException e) {
      throw new SparkLlmException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
    }
    return target;
  }

  private static void prune(FileSystem fs, Path dir, int keep) throws IOException {
    if (keep <= 0) {
      return;
    }
    List<Path> steps = new ArrayList<>();
    for (FileStatus st : fs.listStatus(dir)) {
      if (st.getPath().getName().matches("step-\\d+")) {
        steps.add(st.getPath());
      }
    }
    steps.sort((a, b) -> a.getName().compareTo(b.getName()));
    for (int i = 0; i < steps.size() - keep; i++) {
      fs.delete(steps.get(i), true);
    }
  }

  /** The directory {@code RUN/checkpoints/latest} names, or null when there is none. */
  public static String latest(String run) {
    String pointer = Storage.join(dir(run), LATEST);
    if (!Storage.exists(pointer)) {
      return null;
    }
    return Storage.join(dir(run), Storage.readString(pointer).trim());
  }

  /** A verified checkpoint: every file's SHA-256 matches SHA256SUMS. */
  public record Loaded(String dir, JsonNode state, byte[] model, byte[] optimizer) {}

  public static Loaded load(String checkpoint) {
    String sumsPath = Storage.join(checkpoint, SUMS);
    if (!Storage.exists(sumsPath)) {
      throw new SparkLlmException(
          "checkpoint " + checkpoint + " is incomplete or not a checkpoint (no " + SUMS + ")");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String line : Storage.readString(sumsPath).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] parts = line.trim().split("\\s+", 2);
      String file = Storage.join(checkpoint, parts[1]);
      if (!Storage.exists(file)) {
        throw new SparkLlmException("checkpoint " + checkpoint + " lacks " + parts[1]);
      }
      byte[] bytes;
      try {
        bytes = Storage.readBytes(file);
      } catch (SparkLlmException e) {
        // Hadoop's local filesystem verifies its own .crc files and fails before we can.
        if (e.getCause() instanceof ChecksumException) {
          bytes = null;
        } else {
          throw e;
        }
      }
      if (bytes == null || !Hashing.sha256Hex(bytes).equals(parts[0])) {
        throw new SparkLlmException(
            "checkpoint "
                + checkpoint
                + " is corrupt: "
                + parts[1]
                + " does not match its SHA-256 in "
                + SUMS
                + "; resume from an earlier checkpoint (edit checkpoints/latest) or start over");
      }
      files.put(parts[1], bytes);
    }
    for (String need : List.of(MODEL, OPTIMIZER, STATE)) {
      if (!files.containsKey(need)) {
        throw new SparkLlmException("checkpoint " + checkpoint + " lacks " + need + " in " + SUMS);
      }
    }
    try {
      JsonNode state = Json.MAPPER.readTree(files.get(STATE));
      return new Loaded(checkpoint, state, files.get(MODEL), files.get(OPTIMIZER));
    } catch (IOException e) {
      throw new SparkLlmException("checkpoint " + checkpoint + ": state.json is not valid JSON");
    }
  }

  /** Restores weights and optimizer moments into {@code trainer}. */
  public static void restore(Loaded c, Trainer trainer) {
    Gpt2Weights.load(trainer.model(), c.model(), Storage.join(c.dir(), MODEL));
    trainer.weightsChanged();
    try (NDManager m = trainer.manager().newSubManager()) {
      NDList opt = NDList.decode(m, new ByteArrayInputStream(c.optimizer()));
      trainer
          .optimizer()
          .load(opt, c.state().path("optimizer_steps").asLong(), Storage.join(c.dir(), OPTIMIZER));
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
