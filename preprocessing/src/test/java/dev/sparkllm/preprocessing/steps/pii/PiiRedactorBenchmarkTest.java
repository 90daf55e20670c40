package dev.sparkllm.preprocessing.steps.pii;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput and a false-positive audit on real text, for the report (not a test): run with {@code
 * -Dsparkllm.bench=true -Dpii.corpus=/usr/share/doc} (plain and .gz files under the folder; every
 * match is printed with its context to {@code target/pii-audit.txt}).
 */
@EnabledIfSystemProperty(named = "sparkllm.bench", matches = "true")
class PiiRedactorBenchmarkTest {
  @Test
  void run() throws Exception {
    Path root = Path.of(System.getProperty("pii.corpus", "/usr/share/doc"));
    List<String> docs = new ArrayList<>();
    long bytes = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String name = f.toString();
        if (!(name.endsWith(".gz")
            || name.endsWith(".txt")
            || name.endsWith(".py")
            || name.endsWith("copyright")
            || name.endsWith("README")
            || name.endsWith(".md"))) {
          continue;
        }
        byte[] b;
        try (InputStream in =
            name.endsWith(".gz")
                ? new GZIPInputStream(Files.newInputStream(f))
                : Files.newInputStream(f)) {
          b = in.readAllBytes();
        } catch (Exception e) {
          continue;
        }
        if (b.length > 5_000_000) continue;
        docs.add(new String(b, StandardCharsets.UTF_8));
        bytes += b.length;
      }
    }
    {
      List<Detector> ds = new ArrayList<>();
      ds.addAll(PiiDetectors.secret());
      ds.addAll(PiiDetectors.email());
      ds.addAll(PiiDetectors.iban());
      ds.addAll(PiiDetectors.creditCard());
      ds.addAll(PiiDetectors.ipAddress());
      ds.addAll(PiiDetectors.phone());
      long[] ns = new long[ds.size()];
      for (String text : docs) {
        Detector.TextScan scan = new Detector.TextScan(text);
        for (int i = 0; i < ds.size(); i++) {
          long t = System.nanoTime();
          if (ds.get(i).preCheck().test(text, scan)) {
            ds.get(i).redact(text, "<X>", new int[1]);
          }
          ns[i] += System.nanoTime() - t;
        }
      }
      for (int i = 0; i < ds.size(); i++) {
        System.out.printf(
            "detector %d %s %.2f s  %s%n",
            i,
            ds.get(i).type(),
            ns[i] / 1e9,
            ds.get(i)
                .pattern()
                .pattern()
                .substring(0, Math.min(60, ds.get(i).pattern().pattern().length())));
      }
      if (Boolean.getBoolean("pii.profileOnly")) return;
    }
    PiiRedactor r = new PiiRedactor(Config.defaults().section("preprocess.pii"));
    r.open();
    Map<String, Integer> total = new TreeMap<>();
    for (int pass = 0; pass < 3; pass++) {
      total.clear();
      long t0 = System.nanoTime();
      for (String text : docs) {
        Document d = new Document("", "", text);
        r.apply(d);
        d.redactions.forEach((k, v) -> total.merge(k, v, Integer::sum));
      }
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "pass %d: %d docs, %.1f MB in %.2f s = %.1f MB/s, redactions %s%n",
          pass, docs.size(), bytes / 1e6, s, bytes / 1e6 / s, total);
    }
    // Audit: every accepted match with context, per detector.
    List<Detector> all = new ArrayList<>();
    all.addAll(PiiDetectors.secret());
    all.addAll(PiiDetectors.email());
    all.addAll(PiiDetectors.iban());
    all.addAll(PiiDetectors.creditCard());
    all.addAll(PiiDetectors.ipAddress());
    all.addAll(PiiDetectors.phone());
    StringBuilder out = new StringBuilder();
    for (String text : docs) {
      for (Detector d : all) {
        if (d.type().equals("EMAIL") && !Boolean.getBoolean("pii.auditEmail")) continue;
        Matcher m = d.pattern().matcher(text);
        while (m.find()) {
          int g = d.validator().group(m);
          if (g < 0) continue;
          int a = Math.max(0, m.start(g) - 40), b = Math.min(text.length(), m.end(g) + 40);
          out.append(d.type())
              .append(" [")
              .append(m.group(g))
              .append("]  ... ")
              .append(text.substring(a, b).replace('\n', ' '))
              .append('\n');
        }
      }
    }
    Files.writeString(Path.of("target/pii-audit.txt"), out.toString());
  }
}
