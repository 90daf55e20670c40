package dev.sparkllm.jobs.finetune;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.tokenizer.DocsInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The genre task of the bundled Brown corpus as fine-tuning data: passage excerpts of documents the
 * pretraining never saw (the preprocess output's {@code validation} and {@code test} splits)
 * labelled with their text's {@code category}. Documents of {@code validation} give the training
 * sets, those of {@code test} the held-out ones, so no document is on both sides.
 *
 * <p>Writes {@code OUT/sft-train.jsonl} and {@code OUT/sft-heldout.jsonl} ({@code prompt}/{@code
 * response}), {@code OUT/preference-train.jsonl} ({@code prompt}/{@code chosen}/{@code rejected}:
 * the right genre against a seeded wrong one) and {@code OUT/genre-heldout-task.jsonl} (an {@code
 * evaluate --tasks} classification file: every genre a choice, scored by log-likelihood). The
 * held-out splits are small by construction, so the excerpts are gathered on the driver.
 */
public final class GenreSets {
  static final int EXCERPT_WORDS = 40;
  static final int MIN_PARAGRAPH_WORDS = 20;

  private GenreSets() {}

  /** Counts per file written. */
  public static Map<String, Integer> write(
      SparkSession spark,
      String corpus,
      String preprocessed,
      String output,
      int perDoc,
      long seed) {
    Dataset<Row> docs =
        DocsInput.read(spark, preprocessed, "id", "text", "split")
            .filter(col("split").isin("validation", "test"))
            .select(col("id").cast("string").as("id"), col("text"), col("split"));
    Dataset<Row> categories =
        spark
            .read()
            .json(Storage.qualify(corpus))
            .select(col("id").cast("string").as("cid"), col("category"));
    List<Row> rows =
        docs.join(categories, docs.col("id").equalTo(categories.col("cid")))
            .select("id", "text", "split", "category")
            .orderBy("id")
            .collectAsList();
    if (rows.isEmpty()) {
      throw new SparkLlmException(
          "no validation/test documents of "
              + preprocessed
              + " have a category in "
              + corpus
              + "; give the preprocess output of that corpus");
    }
    List<String> genres =
        new ArrayList<>(
            new TreeSet<>(
                categories
                    .select("category")
                    .distinct()
                    .as(org.apache.spark.sql.Encoders.STRING())
                    .collectAsList()));
    Map<String, List<String>> files = new LinkedHashMap<>();
    for (String f :
        List.of(
            "sft-train.jsonl",
            "sft-heldout.jsonl",
            "preference-train.jsonl",
            "genre-heldout-task.jsonl")) {
      files.put(f, new ArrayList<>());
    }
    Random rnd = new Random(seed);
    for (Row r : rows) {
      boolean train = "validation".equals(r.getString(2));
      String genre = r.getString(3);
      for (String excerpt : excerpts(r.getString(1), perDoc)) {
        String prompt = prompt(excerpt);
        Map<String, Object> sft = new LinkedHashMap<>();
        sft.put("prompt", prompt);
        sft.put("response", " " + genre);
        files.get(train ? "sft-train.jsonl" : "sft-heldout.jsonl").add(line(sft));
        if (train) {
          String wrong = genre;
          while (wrong.equals(genre)) {
            wrong = genres.get(rnd.nextInt(genres.size()));
          }
          Map<String, Object> p = new LinkedHashMap<>();
          p.put("prompt", prompt);
          p.put("chosen", " " + genre);
          p.put("rejected", " " + wrong);
          files.get("preference-train.jsonl").add(line(p));
        } else {
          Map<String, Object> t = new LinkedHashMap<>();
          t.put("prompt", prompt);
          t.put("choices", genres);
          t.put("answer", genre);
          files.get("genre-heldout-task.jsonl").add(line(t));
        }
      }
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (OutputDir out =
        OutputDir.open("genre-sets", output, true, List.of(corpus, preprocessed))) {
      files.forEach(
          (name, lines) -> {
            Storage.writeString(
                Storage.join(out.path(), name),
                lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
            counts.put(name, lines.size());
          });
      out.commit();
    }
    return counts;
  }

  private static String line(Object value) {
    try {
      return Json.MAPPER
          .writer()
          .without(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(value);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The prompt of one excerpt; the answer follows as " genre" (evaluate's choice delimiter). */
  static String prompt(String excerpt) {
    return "Passage: " + excerpt + "\nGenre:";
  }

  /** Up to {@code max} excerpts: the first words of paragraphs long enough to judge. */
  static List<String> excerpts(String text, int max) {
    List<String> out = new ArrayList<>();
    for (String para : text.split("\n\\s*\n")) {
      String[] words = para.trim().split("\\s+");
      if (words.length >= MIN_PARAGRAPH_WORDS) {
        out.add(String.join(" ", Arrays.copyOf(words, Math.min(words.length, EXCERPT_WORDS))));
        if (out.size() == max) {
          break;
        }
      }
    }
    return out;
  }
}
