package dev.sparkllm.jobs.finetune;

import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.preprocessing.finetune.FinetuneData;
import dev.sparkllm.preprocessing.finetune.PreferenceExample;
import dev.sparkllm.preprocessing.tokenize.Padder;
import dev.sparkllm.preprocessing.tokenize.TokenizeSettings;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import dev.sparkllm.training.PreferenceShards;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * DPO's token shards: each kept preference row becomes a pair of padded rows that share the prompt
 * (prompt ids, response ids, end-of-text, padding; the mask 1 on the response and end-of-text), as
 * {@code tokenize --mode padded} builds one instruction row. A pair is dropped, and counted, when
 * either side has no response token left after truncation. Preference sets are small (thousands of
 * pairs), so the pairs are encoded on the driver.
 */
final class PreferenceTokens {
  private PreferenceTokens() {}

  /** Writes {@code tokens} (the {@link PreferenceShards} layout) and its {@code stats.json}. */
  static void write(
      SparkSession spark,
      TokenizeSettings s,
      String tokenizerJson,
      String prepared,
      String tokens) {
    Map<String, List<PreferenceShards.Pair>> splits = new LinkedHashMap<>();
    Map<String, Object> stats = new LinkedHashMap<>();
    int vocab;
    try (TokenEncoder enc = TokenEncoder.fromJson(tokenizerJson)) {
      int eos = enc.requireSpecial(s.eosToken(), "tokenize.eos_token");
      int pad = enc.requireSpecial(s.padToken(), "tokenize.pad_token");
      vocab = enc.vocabSize();
      for (String split : List.of("train", "validation")) {
        Padder padder = new Padder(s.rowLength(), eos, pad, "left".equals(s.truncationSide()));
        List<PreferenceShards.Pair> pairs = new ArrayList<>();
        long dropped = 0;
        List<PreferenceExample> rows = FinetuneData.preferences(spark, prepared, split);
        for (PreferenceExample e : rows) {
          int[] prompt = enc.encode(e.prompt());
          int[][] chosen = padder.build(prompt, enc.encode(e.chosen()));
          int[][] rejected = padder.build(prompt, enc.encode(e.rejected()));
          if (chosen == null || rejected == null) {
            dropped++;
            continue;
          }
          pairs.add(new PreferenceShards.Pair(chosen[0], chosen[1], rejected[0], rejected[1]));
        }
        if (!pairs.isEmpty()) {
          splits.put(split, pairs);
        }
        stats.put(split, Map.of("rows", rows.size(), "pairs", pairs.size(), "dropped", dropped));
      }
    }
    if (!splits.containsKey("train")) {
      throw new SparkLlmException(
          "no preference pair for training is left in "
              + prepared
              + " (each pair needs a response token on both sides after truncation to"
              + " tokenize.seq_len); see "
              + Storage.join(prepared, FinetuneData.STATS));
    }
    String sha = Hashing.sha256Hex(tokenizerJson.getBytes(StandardCharsets.UTF_8));
    PreferenceShards.write(spark, tokens, splits, s.seqLen(), vocab, sha);
    Json.writeFile(Storage.join(tokens, "stats.json"), stats);
    System.out.printf("finetune: preference pairs %s%n", stats);
  }
}
