package dev.sparkllm.preprocessing.tokenize;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.TokenizeMode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The {@code tokenize:} config section, checked. */
public record TokenizeSettings(
    TokenizeMode mode,
    int seqLen,
    long seed,
    List<String> splits,
    int numShards,
    long shardTargetMb,
    int batchSize,
    String eosToken,
    String padToken,
    String promptField,
    String responseField,
    String truncationSide)
    implements Serializable {

  public static TokenizeSettings from(Config c) {
    TokenizeMode mode = TokenizeMode.parse(c.getString("mode"), "config key 'tokenize.mode'");
    int seqLen = c.getInt("seq_len");
    if (seqLen < 1) {
      throw new SparkLlmException("config key 'tokenize.seq_len' must be >= 1, got " + seqLen);
    }
    String side = c.getString("truncation_side");
    if (!List.of("left", "right").contains(side)) {
      throw new SparkLlmException(
          "config key 'tokenize.truncation_side' must be left or right, got '" + side + "'");
    }
    int shards = c.getInt("num_shards");
    if (shards < 0) {
      throw new SparkLlmException("config key 'tokenize.num_shards' must be >= 0 (0 = auto)");
    }
    long target = c.getLong("shard_target_mb");
    if (target < 1) {
      throw new SparkLlmException("config key 'tokenize.shard_target_mb' must be >= 1");
    }
    int batch = c.getInt("batch_size");
    if (batch < 1) {
      throw new SparkLlmException("config key 'tokenize.batch_size' must be >= 1");
    }
    return new TokenizeSettings(
        mode,
        seqLen,
        c.getLong("seed"),
        new ArrayList<>(c.getStringList("splits")),
        shards,
        target,
        batch,
        c.getString("eos_token"),
        c.getString("pad_token"),
        c.getString("prompt_field"),
        c.getString("response_field"),
        side);
  }

  /** Ids per stored row: seq_len inputs plus the one extra target at the end. */
  public int rowLength() {
    return seqLen + 1;
  }
}
