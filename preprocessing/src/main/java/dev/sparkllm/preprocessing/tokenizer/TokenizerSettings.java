package dev.sparkllm.preprocessing.tokenizer;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The {@code tokenizer:} config section, checked. */
public record TokenizerSettings(
    String type,
    int vocabSize,
    long minFrequency,
    List<String> specialTokens,
    String unkToken,
    String trainSplit,
    String evalSplit,
    int countPartitions)
    implements Serializable {

  public static final List<String> TYPES = List.of("bpe", "char", "word");

  public static TokenizerSettings from(Config section) {
    String type = section.getString("type");
    if (!TYPES.contains(type)) {
      throw new SparkLlmException(
          "config key 'tokenizer.type' must be one of " + TYPES + ", got '" + type + "'");
    }
    int vocab = section.getInt("vocab_size");
    List<String> specials = new ArrayList<>(section.getStringList("special_tokens"));
    for (String s : specials) {
      if (s.isEmpty()) {
        throw new SparkLlmException("config key 'tokenizer.special_tokens' holds an empty token");
      }
    }
    String unk = section.getString("unk_token");
    int base = "bpe".equals(type) ? specials.size() + 256 : specials.size() + 1;
    if (vocab <= base) {
      throw new SparkLlmException(
          "config key 'tokenizer.vocab_size' is "
              + vocab
              + " but a "
              + type
              + " tokenizer needs more than its "
              + base
              + " base tokens; raise it");
    }
    long minFreq = section.getLong("min_frequency");
    if (minFreq < 0) {
      throw new SparkLlmException("config key 'tokenizer.min_frequency' must be >= 0");
    }
    if (!"bpe".equals(type) && (unk == null || unk.isEmpty())) {
      throw new SparkLlmException(
          "config key 'tokenizer.unk_token' must be set for a " + type + " tokenizer");
    }
    String eval = section.getString("eval_split");
    return new TokenizerSettings(
        type,
        vocab,
        minFreq,
        specials,
        unk,
        section.getString("train_split"),
        eval == null ? "" : eval,
        section.getInt("count_partitions"));
  }
}
