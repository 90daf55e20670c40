package dev.sparkllm.core;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * A job's output directory, opened so that nothing is lost: an output that overlaps an input is
 * refused, the output is locked against a second job ({@link OutputLock}), and only a directory
 * this tool wrote (it holds {@link #MARKER}) is ever replaced.
 *
 * <p>On local disks and HDFS a job writes into a hidden sibling ({@code .NAME.tmp-UUID}) and {@link
 * #commit()} swaps it in: the old output is renamed aside, the new one renamed in, the old one
 * deleted. A job that fails before its commit leaves the old output as it was. On object stores a
 * directory rename is a copy of every object, so there the job writes in place: with --overwrite
 * the old (marked) output is deleted first, and a failed run leaves a partial output behind.
 *
 * <pre>{@code
 * try (OutputDir out = OutputDir.open("tokenize", output, overwrite, List.of(input))) {
 *   ... write under out.path() ...
 *   out.commit();
 * }
 * }</pre>
 */
public final class OutputDir implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputDir.class);

  /** Written into every output this tool creates; only such outputs are replaced. */
  public static final String MARKER = "_SPARK_LLM_OUTPUT";

  private final FileSystem fs;
  private final Path target;
  private final Path work;
  private final String dir;
  private final OutputLock lock;
  private boolean committed;

  private OutputDir(FileSystem fs, Path target, Path work, String dir, OutputLock lock) {
    this.fs = fs;
    this.target = target;
    this.work = work;
    this.dir = dir;
    this.lock = lock;
  }

  /**
   * Opens {@code dir} as the output of {@code job}, which reads {@code inputs}. A non-empty {@code
   * dir} is refused unless {@code overwrite}, and even then unless this tool wrote it.
   */
  public static OutputDir open(String job, String dir, boolean overwrite, List<String> inputs) {
    InputOverlap.check(dir, inputs);
    Path target = qualified(dir);
    FileSystem fs = Storage.fs(target);
    OutputLock lock = OutputLock.acquire(dir, job);
    try {
      recoverInterruptedSwap(fs, target);
      boolean replace = checkReplaceable(fs, target, dir, overwrite);
      SparkOutputs.configureFor(activeSession(), target.toString());
      if (Storage.isObjectStore(dir)) {
        if (replace && !fs.delete(target, true)) {
          throw new SparkLlmException("cannot delete " + dir + " for --overwrite");
        }
        create(fs, target, dir, job);
        return new OutputDir(fs, target, target, dir, lock);
      }
      Path parent = target.getParent();
      Path work = new Path(parent, "." + target.getName() + ".tmp-" + UUID.randomUUID());
      create(fs, work, dir, job);
      return new OutputDir(fs, target, work, dir, lock);
    } catch (IOException e) {
      lock.close();
      throw failure(dir, e);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Opens {@code dir} for a job that writes it in place and never replaces it as a whole (training
   * runs, which resume): refuses overlap with {@code inputs}, takes the lock, creates the directory
   * and marks it when it is new or empty. A non-empty directory is left to the job's own checks and
   * is not marked, so a directory the tool did not create never becomes replaceable.
   */
  public static OutputDir inPlace(String job, String dir, List<String> inputs) {
    InputOverlap.check(dir, inputs);
    Path target = qualified(dir);
    FileSystem fs = Storage.fs(target);
    OutputLock lock = OutputLock.acquire(dir, job);
    try {
      if (!fs.exists(target) || fs.listStatus(target).length == 0) {
        create(fs, target, dir, job);
      }
      OutputDir out = new OutputDir(fs, target, target, dir, lock);
      out.committed = true;
      return out;
    } catch (IOException e) {
      lock.close();
      throw failure(dir, e);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** {@link Storage#prepareOutputDir}: checks, deletes a replaceable output, creates and marks. */
  static void prepareInPlace(String dir, boolean overwrite) {
    Path target = qualified(dir);
    FileSystem fs = Storage.fs(target);
    try {
      if (checkReplaceable(fs, target, dir, overwrite) && !fs.delete(target, true)) {
        throw new SparkLlmException("cannot delete " + dir + " for --overwrite");
      }
      create(fs, target, dir, "output");
    } catch (IOException e) {
      throw failure(dir, e);
    }
  }

  /** Where the job writes: a hidden sibling until {@link #commit()}, or the output itself. */
  public String path() {
    return work.toString();
  }

  /** The output as it will be after {@link #commit()}. */
  public String target() {
    return target.toString();
  }

  /** Publishes what was written under {@link #path()} as the output. */
  public void commit() {
    if (committed) {
      return;
    }
    if (work.equals(target)) {
      committed = true;
      return;
    }
    try {
      Path old = null;
      if (fs.exists(target)) {
        old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
        rename(target, old);
      }
      rename(work, target);
      committed = true;
      if (old != null && !fs.delete(old, true)) {
        LOG.warn("could not delete the replaced output {}; delete it by hand", old);
      }
    } catch (IOException e) {
      throw failure(dir, e);
    }
  }

  /** Deletes an uncommitted temporary output, and releases the lock. */
  @Override
  public void close() {
    try {
      if (!committed && !work.equals(target) && fs.exists(work)) {
        fs.delete(work, true);
      }
    } catch (IOException e) {
      LOG.warn("could not delete the unfinished output {}: {}", work, e.getMessage());
    } finally {
      lock.close();
    }
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " → " + to + " failed");
    }
  }

  /** True when {@code target} holds an output that --overwrite will replace. */
  private static boolean checkReplaceable(FileSystem fs, Path target, String dir, boolean overwrite)
      throws IOException {
    if (!fs.exists(target)) {
      return false;
    }
    FileStatus st = fs.getFileStatus(target);
    if (!st.isDirectory()) {
      throw new SparkLlmException("output " + dir + " is a file; give a directory path");
    }
    FileStatus[] children = fs.listStatus(target);
    if (children.length == 0) {
      return true;
    }
    boolean marked = fs.exists(new Path(target, MARKER));
    if (!overwrite) {
      throw new SparkLlmException(
          "output directory "
              + dir
              + " is not empty; "
              + (marked
                  ? "pass --overwrite to replace it or choose another --output"
                  : "it was not written by spark-llm, so choose another --output"));
    }
    if (!marked) {
      throw new SparkLlmException(
          "output directory "
              + dir
              + " is not empty and was not written by spark-llm (it has no "
              + MARKER
              + "); --overwrite only replaces spark-llm outputs, so delete it yourself or choose"
              + " another --output");
    }
    return true;
  }

  /**
   * A job killed between the two renames of a commit leaves the output renamed aside; put it back.
   * Temporary outputs of killed jobs are deleted (the lock says no job is writing them), also one
   * killed before it was marked, which is empty.
   */
  private static void recoverInterruptedSwap(FileSystem fs, Path target) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !fs.exists(parent)) {
      return;
    }
    FileStatus[] leftovers =
        fs.globStatus(new Path(parent, "." + target.getName() + ".{old,tmp}-*"));
    if (leftovers == null) {
      return;
    }
    for (FileStatus st : leftovers) {
      Path p = st.getPath();
      if (!fs.exists(new Path(p, MARKER))) {
        // A job killed between creating its sibling and marking it leaves it empty; anything
        // else unmarked is not ours to delete.
        if (st.isDirectory() && fs.listStatus(p).length == 0) {
          fs.delete(p, false);
        }
        continue;
      }
      if (p.getName().contains(".old-") && !fs.exists(target)) {
        LOG.warn("restoring {} from {} (a replacement was interrupted)", target, p);
        if (!fs.rename(p, target)) {
          throw new IOException("cannot restore " + target + " from " + p);
        }
      } else {
        LOG.info("deleting {} left by an interrupted job", p);
        fs.delete(p, true);
      }
    }
  }

  private static void create(FileSystem fs, Path dir, String shown, String job) throws IOException {
    if (!fs.mkdirs(dir)) {
      throw new SparkLlmException("cannot create output directory " + shown);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tool", "spark-llm");
    m.put("job", job);
    m.put("created", Instant.now().toString());
    m.put("host", host());
    try (OutputStream out = fs.create(new Path(dir, MARKER), true)) {
      out.write((Json.write(m) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private static Path qualified(String dir) {
    Path p = Storage.path(dir);
    return Storage.fs(p).makeQualified(p);
  }

  private static SparkSession activeSession() {
    Option<SparkSession> s = SparkSession.getActiveSession();
    if (s.isEmpty()) {
      s = SparkSession.getDefaultSession();
    }
    return s.isDefined() ? s.get() : null;
  }

  private static SparkLlmException failure(String dir, IOException e) {
    String msg = String.valueOf(e.getMessage());
    if (e instanceof AccessDeniedException
        || msg.contains("Permission denied")
        || msg.contains("Mkdirs failed")) {
      return new SparkLlmException(
          "output directory "
              + dir
              + " is not writable ("
              + Storage.firstLine(msg)
              + "); choose another --output",
          e);
    }
    return new SparkLlmException(
        "cannot write output directory " + dir + ": " + Storage.firstLine(msg), e);
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
