package dev.sparkllm.preprocessing.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.SparkTestBase;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Near-duplicate clusters from Spark against brute force: exact 5-gram Jaccard of every pair with
 * independent shingling code, union-find over pairs at or above the threshold. The generated corpus
 * keeps every pair clearly above (>= 0.85) or below (<= 0.5) the 0.7 threshold, so LSH and
 * signature-estimate noise cannot change the expected answer.
 */
class NearDedupTest extends SparkTestBase {
  private static final int NGRAM = 5;
  private static final double THRESHOLD = 0.7;
  private static List<String[]> corpus;

  @BeforeAll
  static void makeCorpus() {
    corpus = generateCorpus();
  }

  // ---- corpus -----------------------------------------------------------------------------------

  /**
   * Families: a base of 150-220 words and variants with small edits (near) or 25% replaced (far).
   */
  static List<String[]> generateCorpus() {
    Random rnd = new Random(20240611L);
    List<String> vocab = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String consonants = "bcdfghklmnprstvz";
    String vowels = "aeiou";
    while (vocab.size() < 300) {
      StringBuilder w = new StringBuilder();
      int syllables = 1 + rnd.nextInt(3);
      for (int s = 0; s < syllables; s++) {
        w.append(consonants.charAt(rnd.nextInt(consonants.length())));
        w.append(vowels.charAt(rnd.nextInt(vowels.length())));
      }
      if (seen.add(w.toString())) {
        vocab.add(w.toString());
      }
    }
    List<String> texts = new ArrayList<>();
    for (int f = 0; f < 28; f++) {
      List<String> base = new ArrayList<>();
      int len = 150 + rnd.nextInt(71);
      for (int i = 0; i < len; i++) {
        base.add(vocab.get(rnd.nextInt(vocab.size())));
      }
      texts.add(render(base, rnd));
      int variants = rnd.nextInt(4);
      for (int v = 0; v < variants; v++) {
        List<String> doc = new ArrayList<>(base);
        switch (rnd.nextInt(4)) {
          case 0 -> doc.set(5 + rnd.nextInt(doc.size() - 10), "zzsubst" + f + "x" + v);
          case 1 -> {
            doc.add("zzappend" + f + "x" + v);
            doc.add(vocab.get(rnd.nextInt(vocab.size())));
          }
          case 2 -> doc.remove(5 + rnd.nextInt(doc.size() - 10));
          default -> {
            for (int i = 0; i < doc.size(); i++) {
              if (rnd.nextInt(4) == 0) {
                doc.set(i, vocab.get(rnd.nextInt(vocab.size())));
              }
            }
          }
        }
        texts.add(render(doc, rnd));
      }
    }
    // Short documents (fewer than NGRAM words) are one shingle; no words at all = never a dup.
    texts.add("Short note here.");
    texts.add("short NOTE, here!");
    texts.add("another short one");
    texts.add("... !!! ---");
    texts.add("?? ...");

    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      ids.add(i);
    }
    // Ids unrelated to family order, so "smallest id" is not simply the base document.
    Collections.shuffle(ids, rnd);
    List<String[]> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      out.add(new String[] {String.format("doc-%03d", ids.get(i)), texts.get(i)});
    }
    return out;
  }

  /** Words joined with spaces, occasional punctuation and capitals that shingling must ignore. */
  private static String render(List<String> words, Random rnd) {
    StringBuilder sb = new StringBuilder();
    for (String w : words) {
      if (sb.length() > 0) {
        sb.append(rnd.nextInt(10) == 0 ? ", " : " ");
      }
      sb.append(rnd.nextInt(12) == 0 ? w.toUpperCase(Locale.ROOT) : w);
    }
    return sb.append('.').toString();
  }

  private static Dataset<Row> docs(List<String[]> rows) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("text", DataTypes.StringType)
            .add("source", DataTypes.StringType);
    List<Row> out = new ArrayList<>();
    for (String[] r : rows) {
      out.add(RowFactory.create(r[0], r[1], "src-" + r[0]));
    }
    return spark.createDataFrame(out, schema);
  }

  // ---- brute force ------------------------------------------------------------------------------

  static Set<String> shingles(String text) {
    List<String> words = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    Set<String> out = new HashSet<>();
    int n = Math.min(NGRAM, words.size());
    for (int i = 0; n > 0 && i + n <= words.size(); i++) {
      out.add(String.join(" ", words.subList(i, i + n)));
    }
    return out;
  }

  static double jaccard(Set<String> a, Set<String> b) {
    if (a.isEmpty() || b.isEmpty()) {
      return 0;
    }
    Set<String> inter = new HashSet<>(a);
    inter.retainAll(b);
    return inter.size() / (double) (a.size() + b.size() - inter.size());
  }

  /** id → smallest id of its cluster (own id when alone). */
  static Map<String, String> bruteForceClusters(List<String[]> docs) {
    int n = docs.size();
    List<Set<String>> sh = new ArrayList<>();
    docs.forEach(d -> sh.add(shingles(d[1])));
    int[] parent = new int[n];
    Arrays.setAll(parent, i -> i);
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double jac = jaccard(sh.get(i), sh.get(j));
        assertThat(jac > 0.5 && jac < 0.85)
            .as("pair %s/%s has ambiguous Jaccard %.3f", docs.get(i)[0], docs.get(j)[0], jac)
            .isFalse();
        if (jac >= THRESHOLD) {
          parent[find(parent, i)] = find(parent, j);
        }
      }
    }
    Map<Integer, String> minId = new HashMap<>();
    for (int i = 0; i < n; i++) {
      minId.merge(find(parent, i), docs.get(i)[0], (x, y) -> x.compareTo(y) <= 0 ? x : y);
    }
    Map<String, String> out = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      out.put(docs.get(i)[0], minId.get(find(parent, i)));
    }
    return out;
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  private static NearDedup nearDedup(String mode) {
    Config c = Config.load(null, List.of("preprocess.near_dedup.mode=" + mode));
    return new NearDedup(c.section("preprocess.near_dedup"), c.getLong("preprocess.seed"));
  }

  // ---- tests ------------------------------------------------------------------------------------

  @Test
  void markModeClustersEqualBruteForce() {
    Map<String, String> expected = bruteForceClusters(corpus);
    long multi =
        expected.values().stream()
            .distinct()
            .filter(c -> Collections.frequency(expected.values(), c) > 1)
            .count();
    assertThat(multi).as("corpus has near-dup clusters").isGreaterThanOrEqualTo(10);
    assertThat(expected.size() - multi).as("and singletons").isGreaterThan(20);

    long t0 = System.nanoTime();
    long cpu0 = processCpuNanos();
    StageResult r = nearDedup("mark").apply(docs(corpus));
    Map<String, String> got = new TreeMap<>();
    for (Row row : r.kept().collectAsList()) {
      got.put(row.getString(0), row.getString(3));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "NearDedup mark: %d docs, %.1f s wall, %.1f s process CPU, stats %s%n",
        corpus.size(), seconds, (processCpuNanos() - cpu0) / 1e9, r.stats());

    assertThat(got).isEqualTo(expected);
    assertThat(r.kept().columns()).containsExactly("id", "text", "source", "cluster_id");
    assertThat(r.rejected().count()).isZero();
    Map<String, Long> sizes = new HashMap<>();
    expected.values().forEach(c -> sizes.merge(c, 1L, Long::sum));
    assertThat(r.stats())
        .containsEntry("in", (long) corpus.size())
        .containsEntry("kept", (long) corpus.size())
        .containsEntry("rejected", 0L)
        .containsEntry("clusters", multi)
        .containsEntry("largest_cluster", Collections.max(sizes.values()))
        .containsEntry("docs_without_words", 2L);
    assertThat((long) r.stats().get("verified_pairs"))
        .isLessThanOrEqualTo((long) r.stats().get("candidate_pairs"));
    r.release();
  }

  @Test
  void bucketsOverTheCapBecomeStarsAndStillFindTheClusters() {
    // Cap 2: every bucket of a 3- or 4-member family is linked as a star to its smallest id.
    Config c =
        Config.load(
            null,
            List.of("preprocess.near_dedup.mode=mark", "preprocess.near_dedup.max_bucket_pairs=2"));
    StageResult r =
        new NearDedup(c.section("preprocess.near_dedup"), c.getLong("preprocess.seed"))
            .apply(docs(corpus));
    Map<String, String> got = new TreeMap<>();
    r.kept().collectAsList().forEach(row -> got.put(row.getString(0), row.getString(3)));
    assertThat(got).isEqualTo(bruteForceClusters(corpus));
    assertThat(r.stats()).containsEntry("largest_cluster", 4L);
  }

  @Test
  void removeModeKeepsTheLongestOfEachCluster() {
    Map<String, String> clusters = bruteForceClusters(corpus);
    Map<String, String> text = new HashMap<>();
    corpus.forEach(d -> text.put(d[0], d[1]));
    // Expected survivor per cluster: longest text, ties → smallest id.
    Map<String, String> survivor = new HashMap<>();
    for (String id : new java.util.TreeSet<>(clusters.keySet())) {
      survivor.merge(
          clusters.get(id),
          id,
          (cur, cand) -> text.get(cand).length() > text.get(cur).length() ? cand : cur);
    }

    Dataset<Row> in = docs(corpus);
    StageResult r = nearDedup("remove").apply(in);
    Set<String> kept = new HashSet<>();
    for (Row row : r.kept().collectAsList()) {
      kept.add(row.getString(0));
      assertThat(row.getString(3)).isEqualTo(clusters.get(row.getString(0)));
      assertThat(row.getString(2)).isEqualTo("src-" + row.getString(0));
    }
    assertThat(kept).isEqualTo(new HashSet<>(survivor.values()));

    assertThat(r.rejected().columns())
        .containsExactly("id", "text", "source", "step", "reason", "duplicate_of");
    List<Row> rejected = r.rejected().collectAsList();
    for (Row row : rejected) {
      assertThat(row.getString(3)).isEqualTo("near_dedup");
      assertThat(row.getString(4)).isEqualTo("near_duplicate");
      assertThat(row.getString(5)).isEqualTo(survivor.get(clusters.get(row.getString(0))));
    }
    assertThat(kept.size() + rejected.size()).isEqualTo(corpus.size());
    assertThat(r.stats())
        .containsEntry("kept", (long) kept.size())
        .containsEntry("rejected", (long) rejected.size());
    r.release();
  }

  @Test
  void signaturesAreIdenticalAcrossRunsAndPartitionings() {
    NearDedupParams p = nearDedup("remove").params();
    Map<String, List<Long>> one =
        signatures(new MinHashSignatures(p).compute(docs(corpus).repartition(1)));
    Map<String, List<Long>> three =
        signatures(new MinHashSignatures(p).compute(docs(corpus).repartition(3)));
    assertThat(one).hasSize(corpus.size()).isEqualTo(three);
    long[] direct = new MinHashSignatures(p).signature(corpus.get(0)[1]);
    assertThat(one.get(corpus.get(0)[0]))
        .containsExactly(Arrays.stream(direct).boxed().toArray(Long[]::new));
    assertThat(direct).hasSize(112);

    long[] otherSeed =
        new MinHashSignatures(p.ngram(), p.numPerm(), p.seed() + 1).signature(corpus.get(0)[1]);
    assertThat(otherSeed).isNotEqualTo(direct);
    // Case and punctuation do not change the shingles.
    MinHashSignatures m = new MinHashSignatures(p);
    assertThat(m.signature("Hello, World! how are you today"))
        .isEqualTo(m.signature("hello world how are you today"));
    assertThat(m.signature(" ... ")).isNull();
  }

  private static Map<String, List<Long>> signatures(Dataset<Row> sigs) {
    Map<String, List<Long>> out = new HashMap<>();
    for (Row r : sigs.collectAsList()) {
      out.put(r.getString(0), r.isNullAt(1) ? null : r.getList(1));
    }
    return out;
  }

  @Test
  void mersenneArithmeticMatchesBigInteger() {
    Random rnd = new Random(1);
    BigInteger p = BigInteger.valueOf(MinHashSignatures.P);
    for (int i = 0; i < 10_000; i++) {
      long a = Math.floorMod(rnd.nextLong(), MinHashSignatures.P);
      long x = Math.floorMod(rnd.nextLong(), MinHashSignatures.P);
      long raw = rnd.nextLong();
      assertThat(MinHashSignatures.mulMod61(a, x))
          .isEqualTo(BigInteger.valueOf(a).multiply(BigInteger.valueOf(x)).mod(p).longValue());
      assertThat(MinHashSignatures.mod61(raw))
          .isEqualTo(new BigInteger(Long.toUnsignedString(raw)).mod(p).longValue());
    }
    assertThat(MinHashSignatures.mulMod61(MinHashSignatures.P - 1, MinHashSignatures.P - 1))
        .isEqualTo(1);
  }

  @Test
  void badSettingsNameTheKey() {
    assertThatThrownBy(() -> nearDedup("drop"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.near_dedup.mode");
    Config c = Config.load(null, List.of("preprocess.near_dedup.bands=20"));
    assertThatThrownBy(() -> new NearDedup(c.section("preprocess.near_dedup"), 1))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.near_dedup.bands");
  }

  @Test
  void disabledAddsOwnClusterIdAndRejectsNothing() {
    Config c = Config.load(null, List.of("preprocess.near_dedup.enabled=false"));
    StageResult r = new NearDedup(c.section("preprocess.near_dedup"), 1).apply(docs(corpus));
    assertThat(r.kept().columns()).containsExactly("id", "text", "source", "cluster_id");
    assertThat(r.kept().filter("cluster_id = id").count()).isEqualTo(corpus.size());
    assertThat(r.rejected().count()).isZero();
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
