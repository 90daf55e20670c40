package dev.sparkllm.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code DATA/manifest.json}, the record of a tokenize output: the one place that writes, reads and
 * checks it. Every later stage (training, evaluation) reads the data through it.
 *
 * <p>Always present: {@code seq_len} and {@code vocab_size}; {@code tokenizer_sha256} is written
 * always but may be null (shards whose ids no tokenizer made, e.g. the benchmarks' random ids). The
 * rest is the tokenize job's own record ({@link Tokenize}); a manifest without {@code mode} is a
 * minimal one (written by training's {@code TokenShards} for tests and benchmarks) and has none of
 * it. Keys this class does not know are ignored, so newer files stay readable.
 *
 * @param tokenize what the tokenize job recorded, or null in a minimal manifest
 */
public record TokenManifest(int seqLen, int vocabSize, String tokenizerSha256, Tokenize tokenize)
    implements Serializable {

  public static final String FILE = "manifest.json";

  /**
   * The tokenize job's settings and counts.
   *
   * @param padding set exactly when {@code mode} is padded
   * @param splits split name → counts and files, in the order the job wrote them
   */
  public record Tokenize(
      TokenizeMode mode,
      int rowLength,
      String tokenizer,
      String eosToken,
      int eosId,
      Padding padding,
      long seed,
      String configHash,
      List<String> missingSplits,
      Map<String, Split> splits)
      implements Serializable {
    public Tokenize {
      Objects.requireNonNull(mode, "mode");
      if ((mode == TokenizeMode.PADDED) != (padding != null)) {
        throw new IllegalArgumentException("padding is set exactly for padded mode");
      }
      for (Split s : splits.values()) {
        if ((mode == TokenizeMode.PACKED) != (s.packed() != null)) {
          throw new IllegalArgumentException("split counts do not match mode " + mode);
        }
      }
      missingSplits = List.copyOf(missingSplits);
      splits = Collections.unmodifiableMap(new LinkedHashMap<>(splits));
    }
  }

  /** The padded mode's extra settings. */
  public record Padding(String padToken, int padId, String truncationSide)
      implements Serializable {}

  /**
   * One split: shard count and files (relative to DATA), documents in, rows out, tokens in and
   * written, and the counts of its mode — exactly one of {@code packed} and {@code padded} is set.
   */
  public record Split(
      int shards,
      List<String> files,
      long documents,
      long sequences,
      long inputTokens,
      long tokens,
      PackedCounts packed,
      PaddedCounts padded)
      implements Serializable {
    public Split {
      if ((packed == null) == (padded == null)) {
        throw new IllegalArgumentException("exactly one of packed and padded counts is set");
      }
      files = List.copyOf(files);
    }
  }

  /** Packed mode: documents that encoded to nothing, and tokens dropped as each shard's tail. */
  public record PackedCounts(long emptyDocuments, long tailTokens) implements Serializable {}

  /** Padded mode: examples cut to fit a row or dropped whole, and the padding and loss tokens. */
  public record PaddedCounts(
      long truncatedExamples,
      long truncatedTokens,
      long droppedExamples,
      long droppedTokens,
      long padTokens,
      long lossTokens)
      implements Serializable {}

  /** A minimal manifest: only what training needs. */
  public static TokenManifest minimal(int seqLen, int vocabSize, String tokenizerSha256) {
    return new TokenManifest(seqLen, vocabSize, tokenizerSha256, null);
  }

  // ---- write --------------------------------------------------------------------------------

  /** Writes {@code DIR/manifest.json}. */
  public void write(String dir) {
    Json.writeFile(Storage.join(dir, FILE), toJson());
  }

  /** The manifest as JSON values, keys in file order (also embedded in the evaluation report). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (tokenize == null) {
      m.put("seq_len", seqLen);
      m.put("vocab_size", vocabSize);
      m.put("tokenizer_sha256", tokenizerSha256);
      return m;
    }
    Tokenize t = tokenize;
    m.put("mode", t.mode().id());
    m.put("seq_len", seqLen);
    m.put("row_length", t.rowLength());
    m.put("tokenizer", t.tokenizer());
    m.put("tokenizer_sha256", tokenizerSha256);
    m.put("vocab_size", vocabSize);
    m.put("eos_token", t.eosToken());
    m.put("eos_id", t.eosId());
    if (t.padding() != null) {
      m.put("pad_token", t.padding().padToken());
      m.put("pad_id", t.padding().padId());
      m.put("truncation_side", t.padding().truncationSide());
    }
    m.put("seed", t.seed());
    m.put("config_hash", t.configHash());
    m.put("missing_splits", t.missingSplits());
    Map<String, Object> splits = new LinkedHashMap<>();
    t.splits().forEach((name, s) -> splits.put(name, splitJson(s)));
    m.put("splits", splits);
    return m;
  }

  private static Map<String, Object> splitJson(Split s) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("shards", s.shards());
    x.put("files", s.files());
    x.put("documents", s.documents());
    x.put("sequences", s.sequences());
    x.put("input_tokens", s.inputTokens());
    x.put("tokens", s.tokens());
    if (s.packed() != null) {
      x.put("empty_documents", s.packed().emptyDocuments());
      x.put("tail_tokens", s.packed().tailTokens());
    } else {
      PaddedCounts p = s.padded();
      x.put("truncated_examples", p.truncatedExamples());
      x.put("truncated_tokens", p.truncatedTokens());
      x.put("dropped_examples", p.droppedExamples());
      x.put("dropped_tokens", p.droppedTokens());
      x.put("pad_tokens", p.padTokens());
      x.put("loss_tokens", p.lossTokens());
    }
    return x;
  }

  // ---- read ---------------------------------------------------------------------------------

  /** Reads and checks {@code DATA/manifest.json} of a tokenize output directory. */
  public static TokenManifest read(String data) {
    if (!Storage.exists(data)) {
      throw new SparkLlmException(
          "data path " + data + " does not exist; pass the tokenize job's output with --data");
    }
    JsonFields f =
        new JsonFields(
            Storage.join(data, FILE), "--data must be the output directory of the tokenize job");
    return new Reader(f).manifest(f.readObject());
  }

  /** Field access that names the file and the field when one is missing or of the wrong type. */
  private record Reader(JsonFields f) {
    TokenManifest manifest(JsonNode root) {
      int seqLen = f.integer(root, "", "seq_len");
      int vocab = f.integer(root, "", "vocab_size");
      String sha = f.optionalText(root, "", "tokenizer_sha256");
      JsonNode mode = root.get("mode");
      if (mode == null) {
        return new TokenManifest(seqLen, vocab, sha, null);
      }
      TokenizeMode m =
          TokenizeMode.parse(mode.isTextual() ? mode.asText() : mode.toString(), field("mode"));
      Padding padding =
          m == TokenizeMode.PADDED
              ? new Padding(
                  f.text(root, "", "pad_token"),
                  f.integer(root, "", "pad_id"),
                  f.text(root, "", "truncation_side"))
              : null;
      Map<String, Split> splits = new LinkedHashMap<>();
      JsonNode sn = f.object(root, "", "splits");
      for (Iterator<Map.Entry<String, JsonNode>> it = sn.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String at = "splits." + e.getKey();
        if (!e.getValue().isObject()) {
          throw new SparkLlmException(field(at) + " must be an object, got " + e.getValue());
        }
        splits.put(e.getKey(), split(e.getValue(), at, m));
      }
      Tokenize t =
          new Tokenize(
              m,
              f.integer(root, "", "row_length"),
              f.text(root, "", "tokenizer"),
              f.text(root, "", "eos_token"),
              f.integer(root, "", "eos_id"),
              padding,
              f.longValue(root, "", "seed"),
              f.text(root, "", "config_hash"),
              f.texts(root, "", "missing_splits"),
              splits);
      return new TokenManifest(seqLen, vocab, sha, t);
    }

    private Split split(JsonNode s, String at, TokenizeMode mode) {
      PackedCounts packed = null;
      PaddedCounts padded = null;
      if (mode == TokenizeMode.PACKED) {
        packed =
            new PackedCounts(
                f.longValue(s, at, "empty_documents"), f.longValue(s, at, "tail_tokens"));
      } else {
        padded =
            new PaddedCounts(
                f.longValue(s, at, "truncated_examples"),
                f.longValue(s, at, "truncated_tokens"),
                f.longValue(s, at, "dropped_examples"),
                f.longValue(s, at, "dropped_tokens"),
                f.longValue(s, at, "pad_tokens"),
                f.longValue(s, at, "loss_tokens"));
      }
      return new Split(
          f.integer(s, at, "shards"),
          f.texts(s, at, "files"),
          f.longValue(s, at, "documents"),
          f.longValue(s, at, "sequences"),
          f.longValue(s, at, "input_tokens"),
          f.longValue(s, at, "tokens"),
          packed,
          padded);
    }

    private String field(String name) {
      return f.file() + ": field '" + name + "'";
    }
  }
}
