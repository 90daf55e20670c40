package dev.sparkllm.jobs.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A java command line for child JVMs: this JVM's java, classpath and module openings. */
final class ChildJava {
  private ChildJava() {}

  static List<String> command(String... jvmOptions) {
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")
          || a.startsWith("--add-exports")
          || a.startsWith("-Djdk.reflect")
          || a.startsWith("-Dio.netty")
          || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")) {
        c.add(a);
      }
    }
    c.addAll(List.of(jvmOptions));
    c.add("-cp");
    c.add(System.getProperty("java.class.path"));
    return c;
  }
}
