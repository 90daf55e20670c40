package dev.sparkllm.preprocessing.dedup;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage 1 of 4 of near-duplicate detection: a MinHash signature per document.
 *
 * <ul>
 *   <li>Words: maximal runs of letters or digits ({@link Character#isLetterOrDigit}), each code
 *       point lowercased with {@link Character#toLowerCase(int)}; everything else (punctuation,
 *       spaces, symbols) only separates words, so "Hello, world!" and "hello world" shingle alike.
 *   <li>Shingles: every run of {@code ngram} consecutive words; a document with fewer words (but at
 *       least one) is one shingle of all its words. A document without words gets a null signature
 *       and never becomes a near-duplicate.
 *   <li>Shingle hash (64-bit, stable across JVMs): each word is hashed with FNV-1a 64 over its code
 *       points followed by MurmurHash3's {@code fmix64} finalizer; the words of a shingle are
 *       chained as {@code h = fmix64(h * 0x9E3779B97F4A7C15 + w)}, which is order-sensitive.
 *   <li>Permutations: {@code h_i(x) = (a_i * x + b_i) mod p} with {@code p = 2^61 - 1} (Mersenne
 *       prime, so the 122-bit product reduces with shifts), {@code x} the shingle hash reduced mod
 *       p, {@code a_i in [1, p)}, {@code b_i in [0, p)} drawn from a SplitMix64 stream seeded with
 *       {@code preprocess.seed}: the same seed gives the same signature on every worker and run.
 *   <li>Signature: {@code sig[i] = min over shingles of h_i(x)}, {@code array<bigint>} of length
 *       {@code num_perm}. The fraction of equal entries of two signatures estimates the Jaccard
 *       similarity of their shingle sets.
 * </ul>
 */
public final class MinHashSignatures implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String SIG = "sig";
  static final long P = (1L << 61) - 1;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final int ngram;
  private final long[] a;
  private final long[] b;

  public MinHashSignatures(NearDedupParams params) {
    this(params.ngram(), params.numPerm(), params.seed());
  }

  public MinHashSignatures(int ngram, int numPerm, long seed) {
    this.ngram = ngram;
    this.a = new long[numPerm];
    this.b = new long[numPerm];
    long[] state = {seed};
    for (int i = 0; i < numPerm; i++) {
      a[i] = 1 + Long.remainderUnsigned(splitMix64(state), P - 1);
      b[i] = Long.remainderUnsigned(splitMix64(state), P);
    }
  }

  /** Output schema: {@code id} string, {@code sig} array of longs (null for docs without words). */
  public static StructType schema() {
    return new StructType()
        .add("id", DataTypes.StringType, false)
        .add(SIG, DataTypes.createArrayType(DataTypes.LongType, false), true);
  }

  /** One row per input document: {@code (id, sig)}. */
  public Dataset<Row> compute(Dataset<Row> docs) {
    MinHashSignatures self = this;
    MapPartitionsFunction<Row, Row> fn =
        rows -> {
          // Lazily mapped so a partition never holds more than one signature at a time.
          return new Iterator<Row>() {
            @Override
            public boolean hasNext() {
              return rows.hasNext();
            }

            @Override
            public Row next() {
              Row r = rows.next();
              return RowFactory.create(r.getString(0), self.signature(r.getString(1)));
            }
          };
        };
    return docs.select(col("id"), col("text")).mapPartitions(fn, Encoders.row(schema()));
  }

  /** The signature of one text, or null when it has no words. */
  public long[] signature(String text) {
    long[] words = wordHashes(text == null ? "" : text);
    if (words.length == 0) {
      return null;
    }
    long[] sig = new long[a.length];
    Arrays.fill(sig, Long.MAX_VALUE);
    int n = Math.min(ngram, words.length);
    for (int start = 0; start + n <= words.length; start++) {
      long h = 0;
      for (int j = start; j < start + n; j++) {
        h = fmix64(h * GOLDEN + words[j]);
      }
      long x = mod61(h);
      for (int i = 0; i < a.length; i++) {
        long v = mod61Small(mulMod61(a[i], x) + b[i]);
        if (v < sig[i]) {
          sig[i] = v;
        }
      }
    }
    return sig;
  }

  /** Hashes of the lowercased words of {@code text}, in order. */
  static long[] wordHashes(String text) {
    long[] out = new long[16];
    int count = 0;
    long h = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.isLetterOrDigit(cp)) {
        if (!inWord) {
          h = 0xcbf29ce484222325L;
          inWord = true;
        }
        h = (h ^ Character.toLowerCase(cp)) * 0x100000001b3L;
      } else if (inWord) {
        if (count == out.length) {
          out = Arrays.copyOf(out, count * 2);
        }
        out[count++] = fmix64(h);
        inWord = false;
      }
    }
    if (inWord) {
      if (count == out.length) {
        out = Arrays.copyOf(out, count + 1);
      }
      out[count++] = fmix64(h);
    }
    return Arrays.copyOf(out, count);
  }

  /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  private static long splitMix64(long[] state) {
    state[0] += GOLDEN;
    long z = state[0];
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Any 64-bit value (as unsigned) mod p. */
  static long mod61(long x) {
    // 2^61 = 1 (mod p): fold the top 3 bits onto the low 61.
    return mod61Small((x & P) + (x >>> 61));
  }

  /** {@code x mod p} for {@code 0 <= x < 2^63}. */
  static long mod61Small(long x) {
    long r = (x & P) + (x >>> 61);
    return r >= P ? r - P : r;
  }

  /** {@code a * x mod p} for {@code a, x < p}, from the 122-bit product. */
  static long mulMod61(long a, long x) {
    long lo = a * x;
    long hi = Math.multiplyHigh(a, x);
    // product = hi * 2^64 + lo; 2^64 = 8 (mod p) and lo = (lo >>> 61) * 2^61 + (lo & p).
    return mod61Small((lo & P) + (lo >>> 61) + (hi << 3));
  }
}
