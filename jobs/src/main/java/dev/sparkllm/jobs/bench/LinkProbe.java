package dev.sparkllm.jobs.bench;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Proof that a shaped link is what it claims: a TCP transfer between the driver's namespace and
 * worker 0's, timed by the driver, in both directions. The far end is a child JVM started inside
 * the worker namespace ({@link #main}), because a Java thread cannot enter another namespace.
 */
public final class LinkProbe {
  private static final int TIMEOUT_MS = 30_000;
  private static final int CHUNK = 1 << 16;

  private LinkProbe() {}

  /** What one link achieved against what it was configured for. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Result(
      String link,
      long bytes,
      Double configuredMbPerS,
      double toDriverMbPerS,
      double fromDriverMbPerS,
      // Achieved over configured, the slower direction; null when unshaped.
      Double achievedOverConfigured) {}

  /** Moves enough bytes each way across {@code nets}' current shaping to time it. */
  public static Result measure(Link link, Path logDir) {
    // About half a second at the configured rate; 256 MB when unshaped.
    long bytes =
        link.bitsPerSecond() == 0
            ? 256L << 20
            : Math.max(16L << 20, (long) (link.bytesPerSecond() * 0.5));
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(InetAddress.getByName(NetNamespaces.DRIVER_IP), 0));
      server.setSoTimeout(TIMEOUT_MS);
      List<String> cmd = new ArrayList<>(ChildJava.command());
      cmd.addAll(
          List.of(
              LinkProbe.class.getName(),
              NetNamespaces.DRIVER_IP,
              String.valueOf(server.getLocalPort()),
              String.valueOf(bytes)));
      Process child =
          new ProcessBuilder(NetNamespaces.inWorker(0, cmd))
              .redirectErrorStream(true)
              .redirectOutput(logDir.resolve("link-probe-" + link + ".log").toFile())
              .start();
      try (Socket s = server.accept()) {
        s.setSoTimeout(TIMEOUT_MS);
        double up = receive(s.getInputStream(), bytes);
        double down = send(s, bytes);
        if (!child.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS) || child.exitValue() != 0) {
          throw new SparkLlmException(
              "the link probe in "
                  + NetNamespaces.workerNamespace(0)
                  + " failed; see "
                  + logDir.resolve("link-probe-" + link + ".log"));
        }
        Double configured = link.bitsPerSecond() == 0 ? null : link.bytesPerSecond() / 1e6;
        return new Result(
            link.name(),
            bytes,
            configured,
            up,
            down,
            configured == null ? null : Math.min(up, down) / configured);
      } finally {
        child.destroyForcibly();
      }
    } catch (IOException e) {
      throw new SparkLlmException("link probe over " + link + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SparkLlmException("interrupted during the link probe", e);
    }
  }

  /** MB/s from the first byte to the last. */
  private static double receive(InputStream in, long bytes) throws IOException {
    byte[] buf = new byte[CHUNK];
    long got = 0;
    long start = 0;
    while (got < bytes) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, bytes - got));
      if (n < 0) {
        throw new IOException("the probe's sender stopped after " + got + " of " + bytes);
      }
      if (got == 0) {
        start = System.nanoTime();
      }
      got += n;
    }
    return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
  }

  /** MB/s from the first byte sent until the far end has read all and closed. */
  private static double send(Socket s, long bytes) throws IOException {
    byte[] buf = new byte[CHUNK];
    OutputStream out = s.getOutputStream();
    long start = System.nanoTime();
    for (long sent = 0; sent < bytes; sent += buf.length) {
      out.write(buf, 0, (int) Math.min(buf.length, bytes - sent));
    }
    out.flush();
    s.shutdownOutput();
    if (s.getInputStream().read() != -1) {
      throw new IOException("the probe's receiver sent data instead of closing");
    }
    return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
  }

  /** The far end: send BYTES, read BYTES, close. Arguments: HOST PORT BYTES. */
  public static void main(String[] args) throws IOException {
    long bytes = Long.parseLong(args[2]);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])), TIMEOUT_MS);
      s.setSoTimeout(TIMEOUT_MS);
      byte[] buf = new byte[CHUNK];
      OutputStream out = s.getOutputStream();
      for (long sent = 0; sent < bytes; sent += buf.length) {
        out.write(buf, 0, (int) Math.min(buf.length, bytes - sent));
      }
      out.flush();
      InputStream in = s.getInputStream();
      long got = 0;
      for (int n; (n = in.read(buf)) >= 0; ) {
        got += n;
      }
      if (got != bytes) {
        throw new IOException("received " + got + " of " + bytes + " bytes");
      }
    }
  }
}
