package dev.sparkllm.training;

import static dev.sparkllm.training.Checkpoints.HF_CONFIG;
import static dev.sparkllm.training.Checkpoints.MODEL;
import static dev.sparkllm.training.Checkpoints.STATE;
import static dev.sparkllm.training.Checkpoints.SUMS;

import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.Path;

/**
 * The one way checkpoint files are read: {@code SHA256SUMS} parsed strictly (only the known file
 * names, so a checkpoint from elsewhere cannot point outside its directory), then every file read
 * checked against it.
 */
final class CheckpointReader {
  /** {@code sha256sum}'s text format: 64 hex digits, two spaces, a file name. */
  private static final Pattern LINE = Pattern.compile("([0-9a-fA-F]{64})  (\\S+)");

  private CheckpointReader() {}

  /** File name → expected SHA-256 (lower-case hex), in the order listed. */
  static Map<String, String> sums(String checkpoint) {
    String sumsPath = Storage.join(checkpoint, SUMS);
    if (!Storage.exists(sumsPath)) {
      throw new SparkLlmException(
          Storage.exists(checkpoint)
              ? "checkpoint " + checkpoint + " is incomplete or not a checkpoint (no " + SUMS + ")"
              : "checkpoint " + checkpoint + " does not exist");
    }
    String[] lines = Storage.readString(sumsPath).split("\n", -1);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new SparkLlmException(
            sumsPath
                + " line "
                + (i + 1)
                + " is not '<64 hex digits>  <file name>' (damaged checkpoint); use another one");
      }
      String name = m.group(2);
      if (!Checkpoints.allowed(name)) {
        throw new SparkLlmException(
            sumsPath
                + " line "
                + (i + 1)
                + " names '"
                + (name.length() <= 60 ? name : name.substring(0, 60) + "…")
                + "', not one of the checkpoint files "
                + new TreeSet<>(Checkpoints.FILES)
                + " or optimizer-rank-N.safetensors; refusing to read it");
      }
      if (out.put(name, m.group(1).toLowerCase(java.util.Locale.ROOT)) != null) {
        throw new SparkLlmException(sumsPath + " lists " + name + " twice (damaged checkpoint)");
      }
    }
    if (out.isEmpty()) {
      throw new SparkLlmException(sumsPath + " lists no files (damaged checkpoint)");
    }
    return out;
  }

  /**
   * The files {@code only} names (all listed ones when null), each verified against {@code
   * SHA256SUMS}; a file the sums do not list is an error, as is any mismatch.
   */
  static Map<String, byte[]> readVerified(String checkpoint, Set<String> only) {
    Map<String, String> sums = sums(checkpoint);
    if (only != null) {
      for (String need : only) {
        if (!sums.containsKey(need)) {
          throw new SparkLlmException(
              "checkpoint " + checkpoint + " lacks " + need + " in " + SUMS);
        }
      }
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sums.entrySet()) {
      String name = e.getKey();
      if (only != null && !only.contains(name)) {
        continue;
      }
      String file = Storage.join(checkpoint, name);
      if (!Storage.exists(file)) {
        throw new SparkLlmException("checkpoint " + checkpoint + " lacks " + name);
      }
      byte[] bytes;
      try {
        bytes = Storage.readBytes(file);
      } catch (SparkLlmException ex) {
        // Hadoop's local filesystem verifies its own .crc files and fails before we can.
        if (ex.getCause() instanceof ChecksumException) {
          bytes = null;
        } else {
          throw ex;
        }
      }
      if (bytes == null || !Hashing.sha256Hex(bytes).equals(e.getValue())) {
        throw new SparkLlmException(
            "checkpoint "
                + checkpoint
                + " is corrupt: "
                + name
                + " does not match its SHA-256 in "
                + SUMS
                + "; use an earlier checkpoint (edit checkpoints/latest) or start over");
      }
      files.put(name, bytes);
    }
    return files;
  }

  static Checkpoints.ModelFiles readModel(String dir) {
    if (Storage.exists(Storage.join(dir, SUMS))) {
      Map<String, byte[]> f = readVerified(dir, Set.of(HF_CONFIG, MODEL));
      return new Checkpoints.ModelFiles(dir, f.get(HF_CONFIG), f.get(MODEL));
    }
    if (Storage.exists(Storage.join(dir, STATE))
        || CheckpointPointer.STEP.matcher(Storage.path(dir).getName()).matches()) {
      throw new SparkLlmException(
          "checkpoint " + dir + " is incomplete (no " + SUMS + "); use another step directory");
    }
    String config = Storage.join(dir, HF_CONFIG);
    String weights = Storage.join(dir, MODEL);
    if (!Storage.exists(config) || !Storage.exists(weights)) {
      throw new SparkLlmException(
          dir
              + " is not a model directory (needs config.json and model.safetensors); pass a"
              + " RUN/checkpoints/step-N directory");
    }
    return new Checkpoints.ModelFiles(dir, Storage.readBytes(config), Storage.readBytes(weights));
  }

  static byte[] readAsset(String dir, String name) {
    if (Storage.exists(Storage.join(dir, SUMS))) {
      if (!sums(dir).containsKey(name)) {
        return null;
      }
      return readVerified(dir, Set.of(name)).get(name);
    }
    String file = Storage.join(dir, name);
    return Storage.exists(file) ? Storage.readBytes(file) : null;
  }

  static byte[] readWeights(String file) {
    Path p = Storage.path(file);
    Path parent = p.getParent();
    if (parent != null
        && p.getName().equals(MODEL)
        && Storage.exists(Storage.join(parent.toString(), SUMS))) {
      return readVerified(parent.toString(), Set.of(MODEL)).get(MODEL);
    }
    return Storage.readBytes(file);
  }
}
