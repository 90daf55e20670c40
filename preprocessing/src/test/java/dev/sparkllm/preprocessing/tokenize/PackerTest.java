package dev.sparkllm.preprocessing.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackerTest {
  static List<int[]> drain(Packer p) {
    List<int[]> rows = new ArrayList<>();
    for (int[] r = p.poll(); r != null; r = p.poll()) {
      rows.add(r);
    }
    return rows;
  }

  @Test
  void packsAcrossDocumentsAndCountsTheTail() {
    Packer p = new Packer(4, 0); // seq_len 3
    p.add(new int[] {}); // empty: no tokens, no end-of-text
    p.add(new int[] {1, 2, 3, 4, 5, 6, 7}); // longer than a row
    p.add(new int[] {8, 9, 10}); // exactly seq_len: with its end-of-text, one full row
    p.add(new int[] {11});
    assertThat(drain(p))
        .containsExactly(new int[] {1, 2, 3, 4}, new int[] {5, 6, 7, 0}, new int[] {8, 9, 10, 0});
    assertThat(p.tail()).containsExactly(11, 0);
    assertThat(p.documents()).isEqualTo(4);
    assertThat(p.emptyDocuments()).isEqualTo(1);
    assertThat(p.docTokens()).isEqualTo(11);
    assertThat(p.eosTokens()).isEqualTo(3);
    assertThat(p.rows()).isEqualTo(3);
    assertThat(p.docTokens() + p.eosTokens()).isEqualTo(p.rows() * 4 + p.tailTokens());
  }

  @Test
  void fewerTokensThanOneRowLeavesOnlyATail() {
    Packer p = new Packer(9, 0);
    p.add(new int[] {5, 6});
    p.add(new int[] {7});
    assertThat(drain(p)).isEmpty();
    assertThat(p.tailTokens()).isEqualTo(5);
    assertThat(p.tail()).containsExactly(5, 6, 0, 7, 0);
  }

  @Test
  void documentEndingExactlyAtARowBoundaryPutsItsEndOfTextInTheNextRow() {
    Packer p = new Packer(3, 0);
    p.add(new int[] {1, 2, 3});
    assertThat(drain(p)).containsExactly(new int[] {1, 2, 3});
    assertThat(p.tail()).containsExactly(0);
  }
}
