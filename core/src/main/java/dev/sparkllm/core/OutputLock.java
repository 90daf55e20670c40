package dev.sparkllm.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps two jobs from writing one output at once: a lock file next to the output ({@code
 * .NAME.lock} in its parent, so replacing the output directory does not move it) holding the job,
 * pid, host and start time. It is created only if absent — atomically on local disks and HDFS; on
 * object stores the check and the write are two requests, so there it catches the usual mistake
 * (starting a job twice) but not two starts within the same instant. A lock left by a process that
 * is no longer running on this host is taken over; any other held lock is an error naming the file.
 */
public final class OutputLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);

  private final Path file;
  private final String token;
  private boolean released;

  private OutputLock(Path file, String token) {
    this.file = file;
    this.token = token;
  }

  /** The lock file that guards {@code dir}. */
  public static Path lockFile(String dir) {
    Path p = Storage.fs(Storage.path(dir)).makeQualified(Storage.path(dir));
    // A bucket root has no parent; its lock lives inside it.
    return p.getParent() == null
        ? new Path(p, "_SPARK_LLM_LOCK")
        : new Path(p.getParent(), "." + p.getName() + ".lock");
  }

  /**
   * Takes the lock on {@code dir} for {@code job}, or fails with a message naming the holder and
   * the lock file.
   */
  public static OutputLock acquire(String dir, String job) {
    Path file = lockFile(dir);
    String token = UUID.randomUUID().toString();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("job", job);
    body.put("pid", ProcessHandle.current().pid());
    body.put("host", host());
    body.put("since", Instant.now().toString());
    body.put("token", token);
    byte[] content = Json.write(body).getBytes(StandardCharsets.UTF_8);
    boolean tookOver = false;
    for (int attempt = 0; ; attempt++) {
      if (createNew(file, content)) {
        return new OutputLock(file, token);
      }
      JsonNode holder = read(file);
      if (holder == null && attempt < 3 && !exists(file)) {
        continue; // released between the two calls
      }
      if (!tookOver && holder != null && stale(holder)) {
        tookOver = true;
        LOG.warn(
            "taking over the lock {} of {} (pid {} is no longer running)",
            file,
            holder.path("job").asText(),
            holder.path("pid").asLong());
        delete(file);
        continue;
      }
      throw new SparkLlmException(
          "output "
              + dir
              + " is in use"
              + (holder == null
                  ? ""
                  : " by "
                      + holder.path("job").asText("?")
                      + " (pid "
                      + holder.path("pid").asText("?")
                      + " on "
                      + holder.path("host").asText("?")
                      + " since "
                      + holder.path("since").asText("?")
                      + ")")
              + "; lock file "
              + file
              + " — wait for that job, or if it is no longer running delete the lock file");
    }
  }

  public Path file() {
    return file;
  }

  /** Removes the lock file if it is still this lock's. */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
    JsonNode now = read(file);
    if (now != null && token.equals(now.path("token").asText())) {
      delete(file);
    }
  }

  private static boolean stale(JsonNode holder) {
    if (!host().equals(holder.path("host").asText())) {
      return false;
    }
    long pid = holder.path("pid").asLong(-1);
    return pid > 0 && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
  }

  private static boolean createNew(Path file, byte[] content) {
    FileSystem fs = Storage.fs(file);
    try {
      if ("file".equals(file.toUri().getScheme())) {
        java.nio.file.Path local = Paths.get(file.toUri());
        Files.createDirectories(local.getParent());
        // The lock appears with its content or not at all: a hard link to a written temporary file
        // is created atomically and fails if the lock exists. (Create-then-write would leave an
        // empty lock, held forever, if the process died in between.)
        java.nio.file.Path tmp = Files.createTempFile(local.getParent(), ".lock-", ".tmp");
        try {
          Files.write(tmp, content);
          Files.createLink(local, tmp);
          return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
          return false;
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
          // A filesystem without hard links: create, then write.
          try {
            Files.createFile(local);
          } catch (java.nio.file.FileAlreadyExistsException exists) {
            return false;
          }
          Files.write(local, content);
          return true;
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      try (OutputStream out = fs.create(file, false)) {
        out.write(content);
      }
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot create lock file " + file + ": " + Storage.firstLine(e.getMessage()), e);
    }
  }

  private static JsonNode read(Path file) {
    try {
      if (!Storage.fs(file).exists(file)) {
        return null;
      }
      JsonNode n = Json.MAPPER.readTree(Storage.readBytes(file.toString()));
      return n == null || n.isMissingNode() ? null : n;
    } catch (IOException | RuntimeException e) {
      // Half-written or foreign content: treated as held, never taken over.
      return null;
    }
  }

  private static boolean exists(Path file) {
    try {
      return Storage.fs(file).exists(file);
    } catch (IOException e) {
      return true;
    }
  }

  private static void delete(Path file) {
    try {
      Storage.fs(file).delete(file, false);
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot delete lock file " + file + ": " + Storage.firstLine(e.getMessage()), e);
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
