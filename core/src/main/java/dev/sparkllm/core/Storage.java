package dev.sparkllm.core;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * Paths that may be local, {@code file://} or {@code s3a://}, all through Hadoop's FileSystem so
 * one code path serves every store. Credentials come from Hadoop configuration and the AWS provider
 * chain only; nothing here prints them.
 */
public final class Storage {
  private static Configuration standalone;

  private Storage() {}

  /**
   * Code that runs inside Spark tasks on an executor JVM (training replicas) has no session there,
   * so it installs the driver's Hadoop configuration shipped with the task: s3a endpoints and
   * credential providers set on the driver (spark.hadoop.*, or at run time) then hold on executors
   * too, where a bare {@code new Configuration()} would silently talk to the default AWS endpoint.
   * Without a session only; in local mode the driver's session is used as before.
   */
  public static synchronized void installTaskConfiguration(Configuration conf) {
    if (SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty()) {
      standalone = conf;
    }
  }

  /**
   * The active Spark session's Hadoop configuration, or outside Spark (drivers' helpers, tools,
   * tests, executors) one process-wide configuration.
   */
  public static Configuration hadoopConf() {
    Option<SparkSession> active = SparkSession.getActiveSession();
    if (active.isEmpty()) {
      active = SparkSession.getDefaultSession();
    }
    if (active.isDefined()) {
      return active.get().sparkContext().hadoopConfiguration();
    }
    synchronized (Storage.class) {
      if (standalone == null) {
        standalone = new Configuration();
      }
      return standalone;
    }
  }

  public static Path path(String p) {
    if (p == null || p.isBlank()) {
      throw new SparkLlmException("empty path; give a local path, file:// or s3a:// URI");
    }
    return new Path(p);
  }

  public static FileSystem fs(Path p) {
    try {
      return p.getFileSystem(hadoopConf());
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot open filesystem for " + p + ": " + e.getMessage() + friendlyHint(p), e);
    }
  }

  /** Absolute, qualified form (file:/... or s3a://...) so executors resolve it the same way. */
  public static String qualify(String p) {
    Path path = path(p);
    return fs(path).makeQualified(path).toString();
  }

  public static boolean isObjectStore(String p) {
    String scheme = URI.create(path(p).toUri().toString()).getScheme();
    return scheme != null
        && (scheme.startsWith("s3") || scheme.equals("gs") || scheme.equals("abfs"));
  }

  public static boolean exists(String p) {
    Path path = path(p);
    try {
      return fs(path).exists(path);
    } catch (IOException e) {
      throw io("check", p, e);
    }
  }

  public static byte[] readBytes(String p) {
    Path path = path(p);
    try (InputStream in = fs(path).open(path)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      throw new SparkLlmException("file not found: " + p + "; check the path");
    } catch (IOException e) {
      throw io("read", p, e);
    }
  }

  public static String readString(String p) {
    return new String(readBytes(p), StandardCharsets.UTF_8);
  }

  public static InputStream open(String p) {
    Path path = path(p);
    try {
      return fs(path).open(path);
    } catch (FileNotFoundException e) {
      throw new SparkLlmException("file not found: " + p + "; check the path");
    } catch (IOException e) {
      throw io("open", p, e);
    }
  }

  /** Test hook: runs after the new content is complete and before it replaces the old. */
  static volatile Runnable beforeReplace = () -> {};

  /**
   * Writes a small file so that readers see either the old or the whole new content, and a crash at
   * any point leaves one of the two in place: a uniquely named temporary file, then a rename that
   * replaces the target in one step (POSIX rename locally, HDFS rename with OVERWRITE); on object
   * stores a single PUT, which S3 makes atomic.
   */
  public static void writeAtomically(String p, byte[] content) {
    Path target = path(p);
    FileSystem fs = fs(target);
    try {
      if (isObjectStore(p)) {
        try (FSDataOutputStream out = fs.create(target, true)) {
          out.write(content);
        }
        return;
      }
      Path qualified = fs.makeQualified(target);
      if ("file".equals(qualified.toUri().getScheme())) {
        LocalFiles.replace(java.nio.file.Paths.get(qualified.toUri()), content, beforeReplace);
        return;
      }
      Path tmp =
          new Path(
              qualified.getParent(),
              "." + qualified.getName() + ".tmp-" + java.util.UUID.randomUUID());
      try {
        try (FSDataOutputStream out = fs.create(tmp, false)) {
          out.write(content);
          out.hsync();
        }
        beforeReplace.run();
        FileContext.getFileContext(qualified.toUri(), hadoopConf())
            .rename(tmp, qualified, Options.Rename.OVERWRITE);
      } finally {
        fs.delete(tmp, false);
      }
    } catch (AccessDeniedException e) {
      throw new SparkLlmException(
          "cannot write " + p + ": permission denied; pick a writable path");
    } catch (IOException e) {
      throw io("write", p, e);
    }
  }

  public static void writeString(String p, String content) {
    writeAtomically(p, content.getBytes(StandardCharsets.UTF_8));
  }

  public static OutputStream create(String p) {
    Path path = path(p);
    try {
      return fs(path).create(path, true);
    } catch (IOException e) {
      throw io("create", p, e);
    }
  }

  /** Deletes one file if it exists. */
  public static void delete(String p) {
    Path path = path(p);
    try {
      fs(path).delete(path, false);
    } catch (IOException e) {
      throw io("delete", p, e);
    }
  }

  /** Child path with exactly one separator, for both local paths and URIs. */
  public static String join(String base, String... children) {
    StringBuilder sb = new StringBuilder(base);
    for (String c : children) {
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '/') {
        sb.append('/');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /**
   * Makes sure an output directory can be used in place: refuses a non-empty one unless {@code
   * overwrite}, and then only when spark-llm wrote it ({@link OutputDir#MARKER}), which it then
   * deletes; creates and marks it. Jobs use {@link OutputDir#open}, which also refuses overlap with
   * inputs, locks, and replaces the old output only once the new one is complete.
   */
  public static void prepareOutputDir(String dir, boolean overwrite) {
    OutputDir.prepareInPlace(dir, overwrite);
  }

  /**
   * Expands inputs (files, directories searched recursively, globs) to files, sorted so that runs
   * list the same files in the same order. Hidden files ({@code .x}, {@code _x}) are skipped, as
   * Hadoop does.
   */
  public static List<String> expandInputs(List<String> inputs) {
    List<String> files = new ArrayList<>();
    for (String in : inputs) {
      Path p = path(in);
      FileSystem fs = fs(p);
      try {
        FileStatus[] matches = fs.globStatus(p);
        if (matches == null || matches.length == 0) {
          throw new SparkLlmException(
              "input path not found: " + in + "; check the path (globs like dir/*.jsonl work)");
        }
        Arrays.sort(matches);
        for (FileStatus st : matches) {
          collect(fs, st, files);
        }
      } catch (IOException e) {
        throw io("list", in, e);
      }
    }
    if (files.isEmpty()) {
      throw new SparkLlmException(
          "no input files under " + String.join(", ", inputs) + "; nothing to do");
    }
    return files;
  }

  private static void collect(FileSystem fs, FileStatus st, List<String> out) throws IOException {
    String name = st.getPath().getName();
    if (name.startsWith(".") || name.startsWith("_")) {
      return;
    }
    if (st.isDirectory()) {
      FileStatus[] children = fs.listStatus(st.getPath());
      Arrays.sort(children);
      for (FileStatus c : children) {
        collect(fs, c, out);
      }
    } else {
      out.add(st.getPath().toString());
    }
  }

  private static SparkLlmException io(String what, String p, IOException e) {
    return new SparkLlmException(
        "cannot "
            + what
            + " "
            + p
            + ": "
            + firstLine(String.valueOf(e.getMessage()))
            + friendlyHint(path(p)),
        e);
  }

  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String friendlyHint(Path p) {
    String scheme = p.toUri().getScheme();
    if (scheme != null && scheme.startsWith("s3")) {
      return " (for s3a:// set fs.s3a.endpoint/credentials through --conf spark.hadoop.fs.s3a.* or"
          + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)";
    }
    return "";
  }
}
