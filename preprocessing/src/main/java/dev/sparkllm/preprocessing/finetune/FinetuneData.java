package dev.sparkllm.preprocessing.finetune;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.finetune.ChatTemplate.BadRow;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Fine-tuning data from JSONL: instruction rows ({@code prompt}/{@code response}, or chat {@code
 * messages} rendered by {@link ChatTemplate}) and preference rows ({@code prompt}/{@code
 * chosen}/{@code rejected}). Every non-blank line is either kept or rejected with a reason
 * (malformed_json, not_an_object, missing_field, wrong_type, bad_role, empty_messages,
 * no_final_assistant, empty_response, identical_responses, bad_split, prompt_too_long) — never a
 * crash — and {@code OUT/stats.json} reconciles input = kept + rejected.
 *
 * <p>Writes {@code OUT/examples/} (JSON lines: the fields above plus {@code split}), {@code
 * OUT/rejected/} (file, reason, message; no row text, which may be private) and {@code
 * OUT/stats.json}. A row's optional {@code split} field is kept; other rows go to validation with
 * probability {@code finetune.validation_fraction}, decided by a seeded hash of the line.
 */
public final class FinetuneData {
  public static final String STATS = "stats.json";

  /** Which schema the lines must follow. */
  public enum Kind {
    INSTRUCTION("prompt", "response"),
    PREFERENCE("prompt", "chosen", "rejected");

    final String[] fields;

    Kind(String... fields) {
      this.fields = fields;
    }
  }

  /**
   * What {@link #prepare} counted; {@code input == kept + rejected total}. {@code chatRows}: kept
   * rows that were chat {@code messages} (rendered by the template).
   */
  public record Stats(
      Kind kind,
      long files,
      long input,
      long kept,
      Map<String, Long> rejected,
      Map<String, Long> splits,
      long chatRows) {
    public long rejectedTotal() {
      return rejected.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private FinetuneData() {}

  /**
   * Checks and renders the JSONL {@code inputs} into {@code output}; a prompt of {@code seqLen} or
   * more tokens of {@code tokenizerJson} leaves no room for a response and is rejected.
   */
  public static Stats prepare(
      SparkSession spark,
      Kind kind,
      List<String> inputs,
      String tokenizerJson,
      int seqLen,
      FinetuneSettings s,
      String output) {
    List<String> files = Storage.expandInputs(inputs);
    try (OutputDir out = OutputDir.open("finetune-data", output, true, inputs)) {
      Stats stats = write(spark, kind, files, tokenizerJson, seqLen, s, out.path());
      out.commit();
      return stats;
    }
  }

  private static Stats write(
      SparkSession spark,
      Kind kind,
      List<String> files,
      String tokenizerJson,
      int seqLen,
      FinetuneSettings s,
      String output) {
    Dataset<Row> lines =
        spark
            .read()
            .text(files.stream().map(Storage::qualify).toArray(String[]::new))
            .select(col("value"), input_file_name().as("file"));
    Broadcast<String> tok =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokenizerJson);
    StructType schema = new StructType().add("reason", DataTypes.StringType);
    schema = schema.add("message", DataTypes.StringType).add("file", DataTypes.StringType);
    for (String f : kind.fields) {
      schema = schema.add(f, DataTypes.StringType);
    }
    schema = schema.add("split", DataTypes.StringType).add("chat", DataTypes.BooleanType);
    JavaRDD<Row> checked =
        lines.javaRDD().mapPartitions(it -> new Checker(it, kind, tok.value(), seqLen, s));
    Dataset<Row> all =
        spark.createDataFrame(checked, schema).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Map<String, Long> rejected = new TreeMap<>();
      Map<String, Long> splits = new TreeMap<>();
      long kept = 0;
      long chat = 0;
      for (Row r : all.groupBy("reason", "split", "chat").count().collectAsList()) {
        if (r.isNullAt(0)) {
          splits.merge(r.getString(1), r.getLong(3), Long::sum);
          kept += r.getLong(3);
          chat += r.getBoolean(2) ? r.getLong(3) : 0;
        } else {
          rejected.merge(r.getString(0), r.getLong(3), Long::sum);
        }
      }
      long rejectedTotal = rejected.values().stream().mapToLong(Long::longValue).sum();
      String[] keep = new String[kind.fields.length + 1];
      System.arraycopy(kind.fields, 0, keep, 0, kind.fields.length);
      keep[kind.fields.length] = "split";
      Dataset<Row> good = all.filter(col("reason").isNull());
      good.select(keep[0], java.util.Arrays.copyOfRange(keep, 1, keep.length))
          .write()
          .json(Storage.qualify(Storage.join(output, "examples")));
      all.filter(col("reason").isNotNull())
          .select("file", "reason", "message")
          .write()
          .json(Storage.qualify(Storage.join(output, "rejected")));
      Stats stats =
          new Stats(kind, files.size(), kept + rejectedTotal, kept, rejected, splits, chat);
      writeStats(Storage.join(output, STATS), stats);
      return stats;
    } finally {
      all.unpersist();
    }
  }

  static void writeStats(String path, Stats s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", s.kind().name().toLowerCase(java.util.Locale.ROOT));
    m.put("input", Map.of("files", s.files(), "rows", s.input()));
    m.put("kept", s.kept());
    Map<String, Object> rej = new LinkedHashMap<>();
    rej.put("total", s.rejectedTotal());
    rej.put("by_reason", s.rejected());
    m.put("rejected", rej);
    m.put("splits", s.splits());
    m.put("chat_rows", s.chatRows());
    m.put("reconciled", s.input() == s.kept() + s.rejectedTotal());
    Storage.writeString(path, Json.write(m));
  }

  /** The kept instruction rows of {@code split}: {prompt, response} pairs, in file order. */
  public static Dataset<Row> examples(SparkSession spark, String prepared, String split) {
    return spark
        .read()
        .json(Storage.qualify(Storage.join(prepared, "examples")))
        .filter(col("split").equalTo(split));
  }

  /** The kept preference rows of {@code split} under a {@link Kind#PREFERENCE} output. */
  public static List<PreferenceExample> preferences(
      SparkSession spark, String prepared, String split) {
    List<PreferenceExample> out = new ArrayList<>();
    for (Row r :
        examples(spark, prepared, split).select("prompt", "chosen", "rejected").collectAsList()) {
      out.add(new PreferenceExample(r.getString(0), r.getString(1), r.getString(2)));
    }
    return out;
  }

  /** Checks each line of a partition; one tokenizer per partition for the prompt length. */
  private static final class Checker implements Iterator<Row> {
    private final Iterator<Row> in;
    private final Kind kind;
    private final int seqLen;
    private final FinetuneSettings s;
    private final ChatTemplate template;
    private final TokenEncoder encoder;
    private Row next;

    Checker(Iterator<Row> in, Kind kind, String tokenizerJson, int seqLen, FinetuneSettings s) {
      this.in = in;
      this.kind = kind;
      this.seqLen = seqLen;
      this.s = s;
      this.template = new ChatTemplate(s.eosToken());
      this.encoder = TokenEncoder.fromJson(tokenizerJson);
      advance();
    }

    private void advance() {
      next = null;
      while (next == null && in.hasNext()) {
        Row line = in.next();
        String text = line.getString(0);
        if (text == null || text.isBlank()) {
          continue; // blank lines are not rows, as in every JSONL reader
        }
        next = check(text, shortName(line.getString(1)));
      }
      if (next == null) {
        encoder.close();
      }
    }

    private Row check(String line, String file) {
      Object[] out = new Object[3 + kind.fields.length + 2];
      out[2] = file;
      out[out.length - 1] = false;
      try {
        JsonNode n = RowCheck.parse(line);
        String[] fields =
            kind == Kind.INSTRUCTION ? RowCheck.instruction(n, template) : RowCheck.preference(n);
        String split = RowCheck.split(n);
        if (encoder.encode(fields[0]).length >= seqLen) {
          throw new BadRow(
              "prompt_too_long",
              "the prompt has "
                  + seqLen
                  + " or more tokens, leaving no room for a response in seq_len "
                  + seqLen);
        }
        System.arraycopy(fields, 0, out, 3, fields.length);
        out[out.length - 2] = split != null ? split : assignSplit(line);
        out[out.length - 1] = n.has("messages");
      } catch (BadRow e) {
        out[0] = e.reason();
        out[1] = e.getMessage();
      }
      return RowFactory.create(out);
    }

    private String assignSplit(String line) {
      long v = Hashing.sha256Long(s.seed() + "\n" + line) >>> 40;
      return v < s.validationFraction() * (1L << 24) ? "validation" : "train";
    }

    private static String shortName(String uri) {
      return uri == null ? "" : uri.substring(uri.lastIndexOf('/') + 1);
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Row next() {
      if (next == null) {
        throw new java.util.NoSuchElementException();
      }
      Row r = next;
      advance();
      return r;
    }
  }
}
