package dev.sparkllm.jobs.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * The fine-tuning demo's task, built from the Brown corpus's genre labels: a passage excerpt in,
 * its genre out. Whole documents are held out of pretraining (so no passage the model is asked
 * about was seen in pretraining), about {@code holdout} of each genre, at least two, spread over
 * the genre's documents in id order; alternate held-out documents go to fine-tuning and to
 * evaluation, so the evaluation passages come from documents neither pretraining nor fine-tuning
 * saw.
 *
 * <p>Writes {@code pretrain.jsonl} (the remaining documents, the corpus's own schema), {@code
 * sft.jsonl} ({@code prompt}/{@code response}), {@code dpo.jsonl} ({@code prompt}/{@code
 * chosen}/{@code rejected}: the right genre against a seeded wrong one), {@code genre-eval.jsonl}
 * (an {@code evaluate} classification task: every genre a choice) and {@code task.json} (which
 * documents went where, and the counts).
 */
public final class BrownGenreTask {
  /** The prompt ends where the answer starts; the response is " " + label, as evaluate scores. */
  static final String PROMPT = "Passage: %s\nGenre:";

  public record Options(
      double holdout, int passageWords, int trainPassages, int evalPassages, long seed) {
    public static Options defaults() {
      return new Options(0.2, 40, 12, 6, 7);
    }
  }

  public record Result(String dir, Map<String, Object> summary) {
    public String pretrain() {
      return Storage.join(dir, "pretrain.jsonl");
    }

    public String sft() {
      return Storage.join(dir, "sft.jsonl");
    }

    public String dpo() {
      return Storage.join(dir, "dpo.jsonl");
    }

    public String eval() {
      return Storage.join(dir, "genre-eval.jsonl");
    }
  }

  record Doc(String id, String category, String text) {}

  private BrownGenreTask() {}

  public static Result build(String corpus, String outDir, Options o) {
    List<Doc> docs = read(corpus);
    Map<String, List<Doc>> byGenre = new TreeMap<>();
    for (Doc d : docs) {
      byGenre.computeIfAbsent(d.category(), k -> new ArrayList<>()).add(d);
    }
    List<String> labels = new ArrayList<>();
    byGenre.keySet().forEach(g -> labels.add(label(g)));
    List<Doc> pretrain = new ArrayList<>();
    List<Doc> tune = new ArrayList<>();
    List<Doc> eval = new ArrayList<>();
    for (List<Doc> genre : byGenre.values()) {
      genre.sort(Comparator.comparing(Doc::id));
      int n = genre.size();
      if (n < 3) {
        throw new SparkLlmException(
            "genre '"
                + genre.get(0).category()
                + "' has "
                + n
                + " documents in "
                + corpus
                + "; the genre task needs at least 3 per genre (pretraining, tuning, evaluation)");
      }
      int k = Math.max(2, (int) Math.round(o.holdout() * n));
      boolean[] held = new boolean[n];
      for (int i = 0; i < k; i++) {
        // Spread over the genre so held-out documents are not one author's or one year's.
        int at = (int) ((i + 0.5) * n / k);
        held[at] = true;
        (i % 2 == 0 ? tune : eval).add(genre.get(at));
      }
      for (int i = 0; i < n; i++) {
        if (!held[i]) {
          pretrain.add(genre.get(i));
        }
      }
    }
    Random rnd = new Random(o.seed());
    List<String> sft = new ArrayList<>();
    List<String> dpo = new ArrayList<>();
    for (Doc d : tune) {
      String right = label(d.category());
      for (String passage : passages(d.text(), o.passageWords(), o.trainPassages())) {
        String prompt = String.format(PROMPT, passage);
        sft.add(Json.line(fields("prompt", prompt, "response", " " + right)));
        String wrong = right;
        while (wrong.equals(right)) {
          wrong = labels.get(rnd.nextInt(labels.size()));
        }
        dpo.add(
            Json.line(fields("prompt", prompt, "chosen", " " + right, "rejected", " " + wrong)));
      }
    }
    List<String> evalLines = new ArrayList<>();
    for (Doc d : eval) {
      for (String passage : passages(d.text(), o.passageWords(), o.evalPassages())) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("prompt", String.format(PROMPT, passage));
        item.put("choices", labels);
        item.put("answer", labels.indexOf(label(d.category())));
        evalLines.add(Json.line(item));
      }
    }
    List<String> pretrainLines = new ArrayList<>();
    for (Doc d : pretrain) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", d.id());
      row.put("category", d.category());
      row.put("text", d.text());
      pretrainLines.add(Json.line(row));
    }
    Result r = new Result(outDir, new LinkedHashMap<>());
    Storage.writeString(r.pretrain(), lines(pretrainLines));
    Storage.writeString(r.sft(), lines(sft));
    Storage.writeString(r.dpo(), lines(dpo));
    Storage.writeString(r.eval(), lines(evalLines));
    Map<String, Object> s = r.summary();
    s.put("corpus", corpus);
    s.put("documents", docs.size());
    s.put("pretrain_documents", pretrain.size());
    s.put("tune_documents", tune.stream().map(Doc::id).toList());
    s.put("eval_documents", eval.stream().map(Doc::id).toList());
    s.put("sft_examples", sft.size());
    s.put("dpo_pairs", dpo.size());
    s.put("eval_items", evalLines.size());
    s.put("labels", labels);
    s.put("options", o);
    Json.writeFile(Storage.join(outDir, "task.json"), s);
    return r;
  }

  /** Genre names as words ("science_fiction" → "science fiction"): what a prompt would say. */
  static String label(String category) {
    return category.replace('_', ' ');
  }

  /**
   * Up to {@code count} non-overlapping excerpts of {@code words} words, evenly spaced over the
   * document, so they sample its whole length rather than its opening.
   */
  static List<String> passages(String text, int words, int count) {
    String[] w = text.trim().split("\\s+");
    int fit = w.length / words;
    int take = Math.min(count, fit);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < take; i++) {
      int start = (int) ((long) i * fit / take) * words;
      out.add(String.join(" ", java.util.Arrays.copyOfRange(w, start, start + words)));
    }
    return out;
  }

  /** Fields in the given order: Map.of's order changes from JVM to JVM, and the files must not. */
  private static Map<String, String> fields(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static String lines(List<String> ls) {
    return ls.isEmpty() ? "" : String.join("\n", ls) + "\n";
  }

  static List<Doc> read(String corpus) {
    List<Doc> docs = new ArrayList<>();
    try (InputStream raw = Storage.open(corpus);
        InputStream in = corpus.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode j;
        try {
          j = Json.MAPPER.readTree(line);
        } catch (IOException e) {
          throw new SparkLlmException(corpus + " line " + n + " is not JSON: " + e.getMessage());
        }
        for (String f : List.of("id", "category", "text")) {
          if (!j.path(f).isTextual()) {
            throw new SparkLlmException(
                corpus
                    + " line "
                    + n
                    + " has no text field '"
                    + f
                    + "'; the genre task needs the Brown schema {id, category, text}");
          }
        }
        docs.add(new Doc(j.get("id").asText(), j.get("category").asText(), j.get("text").asText()));
      }
    } catch (IOException e) {
      throw new SparkLlmException("cannot read " + corpus + ": " + e.getMessage());
    }
    if (docs.isEmpty()) {
      throw new SparkLlmException(corpus + " has no documents");
    }
    return docs;
  }
}
