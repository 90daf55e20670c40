package dev.sparkllm.core.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * A real S3-compatible server (S3Proxy over a local folder) in its own JVM on a free loopback port.
 * Tests point S3A at it with {@link #configure(SparkSession)}. Each bucket is a folder under the
 * base directory.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret-do-not-log";

  private final Process process;
  private final int port;
  private final Path baseDir;

  private S3ProxyServer(Process process, int port, Path baseDir) {
    this.process = process;
    this.port = port;
    this.baseDir = baseDir;
  }

  /** Starts the server and creates {@code buckets} (as folders) before it serves them. */
  public static S3ProxyServer start(Path workDir, String... buckets) throws Exception {
    String jar = System.getProperty("s3proxy.jar");
    if (jar == null || !new File(jar).isFile()) {
      throw new IllegalStateException(
          "s3proxy.jar system property must point to S3Proxy's jar-with-dependencies (set by the"
              + " Maven build); got "
              + jar);
    }
    Path base = Files.createDirectories(workDir.resolve("s3-data"));
    for (String b : buckets) {
      Files.createDirectories(base.resolve(b));
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path props = workDir.resolve("s3proxy.properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + SECRET_KEY,
            // The in-memory store keeps every key as S3 does, directory markers ("dir/") included;
            // the filesystem providers turn markers into folders, which breaks the S3A magic
            // committer for tasks that write no rows.
            "jclouds.provider=transient",
            "jclouds.identity=" + ACCESS_KEY,
            "jclouds.credential=" + SECRET_KEY,
            "jclouds.filesystem.basedir=" + base,
            ""));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(java, "-Xmx256m", "-jar", jar, "--properties", props.toString())
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("s3proxy.log").toFile());
    Process p = pb.start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "S3Proxy exited: " + Files.readString(workDir.resolve("s3proxy.log")));
      }
      try (Socket sock = new Socket()) {
        sock.connect(new InetSocketAddress("127.0.0.1", port), 200);
      } catch (IOException notYet) {
        Thread.sleep(200);
        continue;
      }
      S3ProxyServer server = new S3ProxyServer(p, port, base);
      try {
        server.createBuckets(buckets);
        return server;
      } catch (RuntimeException notReady) {
        Thread.sleep(200);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("S3Proxy did not open port " + port + " within 60 s");
  }

  private void createBuckets(String... buckets) {
    try (software.amazon.awssdk.services.s3.S3Client client =
        software.amazon.awssdk.services.s3.S3Client.builder()
            .endpointOverride(java.net.URI.create(endpoint()))
            .region(software.amazon.awssdk.regions.Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        ACCESS_KEY, SECRET_KEY)))
            .build()) {
      for (String b : buckets) {
        client.createBucket(r -> r.bucket(b));
      }
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public Path baseDir() {
    return baseDir;
  }

  /** S3A settings for this server, as Hadoop keys. */
  public Map<String, String> hadoopSettings() {
    return Map.of(
        "fs.s3a.endpoint", endpoint(),
        "fs.s3a.path.style.access", "true",
        "fs.s3a.connection.ssl.enabled", "false",
        "fs.s3a.endpoint.region", "us-east-1",
        "fs.s3a.access.key", ACCESS_KEY,
        "fs.s3a.secret.key", SECRET_KEY,
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.change.detection.mode", "none",
        "fs.s3a.change.detection.version.required", "false");
  }

  /**
   * Copies a local file or directory to {@code remote} (s3a://...) through Hadoop, the way data
   * lands in a bucket before a job reads it; the remote store must be configured already.
   */
  public static void upload(Path local, String remote) throws IOException {
    org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(local.toUri());
    org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(remote);
    org.apache.hadoop.fs.FileUtil.copy(
        dev.sparkllm.core.Storage.fs(src),
        src,
        dev.sparkllm.core.Storage.fs(dst),
        dst,
        false,
        dev.sparkllm.core.Storage.hadoopConf());
  }

  public void configure(Configuration conf) {
    hadoopSettings().forEach(conf::set);
  }

  public void configure(SparkSession spark) {
    configure(spark.sparkContext().hadoopConfiguration());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
