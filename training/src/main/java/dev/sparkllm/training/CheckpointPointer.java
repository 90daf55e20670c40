package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code RUN/checkpoints/latest}: written atomically, read strictly, recovered when lost. */
final class CheckpointPointer {
  /** The only names {@code latest} may hold and pruning may delete. */
  static final Pattern STEP = Pattern.compile("step-\\d{7,}");

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointPointer.class);

  private CheckpointPointer() {}

  static String path(String run) {
    return Storage.join(Checkpoints.dir(run), Checkpoints.LATEST);
  }

  /**
   * Points {@code latest} at {@code name} so that readers see the old or the new name, never no
   * file: a unique temporary file renamed over it (rename(2) on local disks, rename-with-overwrite
   * elsewhere), or one PUT on object stores.
   */
  static void write(String run, String name) throws IOException {
    String pointer = path(run);
    byte[] content = (name + "\n").getBytes(StandardCharsets.UTF_8);
    if (Storage.isObjectStore(pointer)) {
      Storage.writeAtomically(pointer, content);
      return;
    }
    Path p = Storage.path(pointer);
    FileSystem fs = Storage.fs(p);
    String tmpName = "." + Checkpoints.LATEST + ".tmp-" + UUID.randomUUID();
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      java.nio.file.Path target = Paths.get(fs.makeQualified(p).toUri());
      java.nio.file.Path tmp = target.resolveSibling(tmpName);
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(content));
        ch.force(true);
      }
      // Hadoop's checksum of an older latest would not match the new content; it goes before the
      // swap, so a crash in between leaves the old latest without a checksum, which still reads.
      Files.deleteIfExists(target.resolveSibling("." + Checkpoints.LATEST + ".crc"));
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      syncDirectory(target.getParent());
      return;
    }
    Path tmp = new Path(p.getParent(), tmpName);
    try (FSDataOutputStream out = fs.create(tmp, false)) {
      out.write(content);
      out.hsync();
    }
    FileContext.getFileContext(fs.getUri(), Storage.hadoopConf())
        .rename(tmp, p, Options.Rename.OVERWRITE);
  }

  /** Makes the rename durable across a power loss where the platform allows it. */
  private static void syncDirectory(java.nio.file.Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform can open a directory; the rename itself is still atomic.
    }
  }

  /** The step name {@code latest} holds when it is a valid one, else null (for pruning). */
  static String readName(String run) {
    try {
      String name = Storage.readString(path(run)).strip();
      return STEP.matcher(name).matches() ? name : null;
    } catch (SparkLlmException e) {
      return null;
    }
  }

  /**
   * See {@link Checkpoints#latest}. Falls back to the newest verified step directory when {@code
   * latest} is missing, blank, unreadable or names a directory that is gone.
   */
  static String resolve(String run) {
    String dir = Checkpoints.dir(run);
    String pointer = path(run);
    String why;
    if (!Storage.exists(pointer)) {
      why = "missing";
    } else {
      String content = null;
      try {
        content = Storage.readString(pointer);
        why = "empty";
      } catch (SparkLlmException e) {
        why = "unreadable (" + e.getMessage() + ")";
      }
      String name = content == null ? "" : content.strip();
      if (!name.isEmpty()) {
        if (!STEP.matcher(name).matches()) {
          throw new SparkLlmException(
              pointer
                  + " does not name a checkpoint: expected step-NNNNNNN, found '"
                  + shown(name)
                  + "'; write the name of a complete step directory into it, or delete it to"
                  + " resume from the newest complete checkpoint");
        }
        String named = Storage.join(dir, name);
        // A checkpoint deleted by hand (or by the pruning of older versions) is not "no
        // checkpoint"; one that exists but fails verification is the loader's error to report.
        if (Storage.exists(named)) {
          return named;
        }
        why = "naming " + name + ", which does not exist";
      }
    }
    List<String> steps = stepDirs(run);
    if (steps.isEmpty()) {
      return null;
    }
    String newestFailure = null;
    for (String name : steps) {
      String candidate = Storage.join(dir, name);
      try {
        Checkpoints.load(candidate);
      } catch (SparkLlmException e) {
        LOG.warn("{} is {}; skipping {}: {}", pointer, why, candidate, e.getMessage());
        newestFailure = newestFailure == null ? e.getMessage() : newestFailure;
        continue;
      }
      LOG.warn(
          "{} is {}; recovered {}, the newest checkpoint whose SHA-256 sums verify",
          pointer,
          why,
          candidate);
      return candidate;
    }
    throw new SparkLlmException(
        pointer
            + " is "
            + why
            + " and none of the "
            + steps.size()
            + " step directories under "
            + dir
            + " is a complete checkpoint (newest: "
            + newestFailure
            + "); restore one, or start over in another --output");
  }

  /** The {@code step-NNNNNNN} directories of a run, newest (highest step) first. */
  static List<String> stepDirs(String run) {
    Path dir = Storage.path(Checkpoints.dir(run));
    List<String> out = new ArrayList<>();
    try {
      for (FileStatus st : Storage.fs(dir).listStatus(dir)) {
        String name = st.getPath().getName();
        if (st.isDirectory() && STEP.matcher(name).matches()) {
          out.add(name);
        }
      }
    } catch (FileNotFoundException e) {
      return out;
    } catch (IOException e) {
      throw new SparkLlmException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    // By number: a name sort would put step-10000000 before step-9999999.
    out.sort(
        Comparator.comparing((String n) -> new BigInteger(n.substring("step-".length())))
            .reversed());
    return out;
  }

  /** Content of a damaged file, safe for a one-line message. */
  private static String shown(String s) {
    String clean = s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() <= 40 ? clean : clean.substring(0, 40) + "…";
  }
}
