package dev.sparkllm.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.jobs.BrownCorpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BrownGenreTaskTest {
  @TempDir Path tmp;

  @Test
  void heldOutDocumentsNeverReachPretrainingAndEveryGenreIsEvaluated() throws Exception {
    BrownGenreTask.Result r =
        BrownGenreTask.build(
            BrownCorpus.FILE.toString(), tmp.toString(), BrownGenreTask.Options.defaults());

    Set<String> pretrainIds = new HashSet<>();
    for (JsonNode d : lines(r.pretrain())) {
      pretrainIds.add(d.get("id").asText());
    }
    @SuppressWarnings("unchecked")
    List<String> tune = (List<String>) r.summary().get("tune_documents");
    @SuppressWarnings("unchecked")
    List<String> eval = (List<String>) r.summary().get("eval_documents");
    assertThat(pretrainIds).doesNotContainAnyElementsOf(tune).doesNotContainAnyElementsOf(eval);
    assertThat(tune).doesNotContainAnyElementsOf(eval);
    // Nothing lost: every document is in exactly one of the three sets.
    assertThat(pretrainIds.size() + tune.size() + eval.size()).isEqualTo(500);

    List<JsonNode> items = lines(r.eval());
    @SuppressWarnings("unchecked")
    List<String> labels = (List<String>) r.summary().get("labels");
    assertThat(labels).hasSize(15).contains("science fiction", "belles lettres");
    Set<Integer> answers = new HashSet<>();
    for (JsonNode it : items) {
      assertThat(it.get("choices")).hasSize(15);
      answers.add(it.get("answer").asInt());
      assertThat(it.get("prompt").asText()).startsWith("Passage: ").endsWith("\nGenre:");
    }
    assertThat(answers).hasSize(15);

    List<JsonNode> sft = lines(r.sft());
    List<JsonNode> dpo = lines(r.dpo());
    assertThat(sft).hasSize((int) r.summary().get("sft_examples")).hasSizeGreaterThan(300);
    assertThat(dpo).hasSameSizeAs(sft);
    for (int i = 0; i < dpo.size(); i++) {
      JsonNode p = dpo.get(i);
      assertThat(p.get("prompt").asText()).isEqualTo(sft.get(i).get("prompt").asText());
      assertThat(p.get("chosen").asText()).isEqualTo(sft.get(i).get("response").asText());
      assertThat(p.get("rejected").asText()).isNotEqualTo(p.get("chosen").asText());
      assertThat(labels).contains(p.get("rejected").asText().substring(1));
    }
  }

  @Test
  void theSameSeedGivesTheSameFiles() throws Exception {
    BrownGenreTask.build(
        BrownCorpus.FILE.toString(),
        tmp.resolve("a").toString(),
        BrownGenreTask.Options.defaults());
    BrownGenreTask.build(
        BrownCorpus.FILE.toString(),
        tmp.resolve("b").toString(),
        BrownGenreTask.Options.defaults());
    for (String f : List.of("pretrain.jsonl", "sft.jsonl", "dpo.jsonl", "genre-eval.jsonl")) {
      assertThat(Files.readAllBytes(tmp.resolve("a").resolve(f)))
          .as(f)
          .isEqualTo(Files.readAllBytes(tmp.resolve("b").resolve(f)));
    }
  }

  @Test
  void passagesAreEvenlySpacedWholeWordWindows() {
    String text =
        String.join(" ", java.util.stream.IntStream.range(0, 100).mapToObj(i -> "w" + i).toList());
    assertThat(BrownGenreTask.passages(text, 10, 3))
        .containsExactly(
            "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9",
            "w30 w31 w32 w33 w34 w35 w36 w37 w38 w39",
            "w60 w61 w62 w63 w64 w65 w66 w67 w68 w69");
    assertThat(BrownGenreTask.passages("too short", 10, 3)).isEmpty();
  }

  @Test
  void aCorpusWithoutGenresIsRefusedNamingTheFieldAndLine() throws Exception {
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"id\":\"a\",\"text\":\"x\"}\n");
    assertThatThrownBy(
            () ->
                BrownGenreTask.build(
                    bad.toString(), tmp.resolve("o").toString(), BrownGenreTask.Options.defaults()))
        .hasMessageContaining("line 1")
        .hasMessageContaining("'category'");
  }

  private static List<JsonNode> lines(String path) throws Exception {
    return Files.readAllLines(Path.of(path)).stream()
        .map(
            l -> {
              try {
                return Json.MAPPER.readTree(l);
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            })
        .toList();
  }
}
