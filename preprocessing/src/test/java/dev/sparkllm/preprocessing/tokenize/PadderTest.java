package dev.sparkllm.preprocessing.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PadderTest {
  @Test
  void padsAndMasksTheResponse() {
    Padder p = new Padder(6, 0, 1, false);
    int[][] row = p.build(new int[] {10, 11}, new int[] {20});
    assertThat(row[0]).containsExactly(10, 11, 20, 0, 1, 1);
    assertThat(row[1]).containsExactly(0, 0, 1, 1, 0, 0);
    int[][] empty = p.build(new int[] {}, new int[] {});
    assertThat(empty[0]).containsExactly(0, 1, 1, 1, 1, 1);
    assertThat(empty[1]).containsExactly(1, 0, 0, 0, 0, 0);
    assertThat(p.padTokens).isEqualTo(2 + 5);
    assertThat(p.lossTokens).isEqualTo(2 + 1);
  }

  @Test
  void truncatesOnTheConfiguredSide() {
    int[] prompt = {10, 11, 12, 13};
    int[] response = {20, 21, 22};
    Padder right = new Padder(6, 0, 1, false);
    int[][] r = right.build(prompt, response);
    assertThat(r[0]).containsExactly(10, 11, 12, 13, 20, 21);
    assertThat(r[1]).containsExactly(0, 0, 0, 0, 1, 1);
    assertThat(right.truncatedExamples).isEqualTo(1);
    assertThat(right.truncatedTokens).isEqualTo(2);

    Padder left = new Padder(6, 0, 1, true);
    int[][] l = left.build(prompt, response);
    assertThat(l[0]).containsExactly(12, 13, 20, 21, 22, 0);
    assertThat(l[1]).containsExactly(0, 0, 1, 1, 1, 1);
  }

  @Test
  void dropsExamplesWithNoResponseLeftAndReconciles() {
    Padder p = new Padder(4, 0, 1, false);
    assertThat(p.build(new int[] {1, 2, 3, 4, 5}, new int[] {7})).isNull();
    assertThat(p.build(new int[] {2}, new int[] {7, 8})).isNotNull();
    assertThat(p.droppedExamples).isEqualTo(1);
    assertThat(p.droppedTokens).isEqualTo(4);
    assertThat(p.truncatedExamples).isEqualTo(1);
    assertThat(p.promptTokens + p.responseTokens + p.eosTokens)
        .isEqualTo(p.writtenTokens + p.truncatedTokens + p.droppedTokens);
  }
}
