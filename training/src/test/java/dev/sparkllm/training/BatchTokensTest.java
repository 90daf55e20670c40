package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** tokens_per_s counts real input tokens: all of a packed row, the non-pad part of a padded one. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BatchTokensTest {
  @Test
  void packedRowsCountEveryInput() {
    Batch b = Batch.packed(new int[][] {{1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}});
    assertThat(b.realInputTokens()).isEqualTo(8);
  }

  @Test
  void paddedRowsCountUpToTheirLastCountedId() {
    // prompt 7 7, response 3, eos 0, padding 0 0 (pad id = eos id, as with GPT-2's tokenizer).
    int[][] ids = {{7, 7, 3, 0, 0, 0}, {7, 3, 3, 3, 3, 3}};
    int[][] mask = {{0, 0, 1, 1, 0, 0}, {0, 1, 1, 1, 1, 1}};
    Batch b = new Batch(ids, mask);
    // Row 1: ids 0..3 are real; row 2 is full (a truncated example): 5 inputs.
    assertThat(b.realInputTokens()).isEqualTo(4 + 5);
  }
}
