package dev.sparkllm.preprocessing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessStatsTest {
  @TempDir Path tmp;

  /** stats.json in the layout the preprocess job has always written (key names and order). */
  private static final String FILE =
      """
      {
        "input" : {
          "files" : 2,
          "bytes" : 1234,
          "documents" : 10
        },
        "steps" : [ {
          "name" : "read",
          "in" : 10,
          "out" : 9,
          "rejected" : 1,
          "rejected_by_reason" : {
            "empty" : 1
          }
        }, {
          "name" : "gopher_quality",
          "in" : 9,
          "out" : 6,
          "rejected" : 3,
          "rejected_by_reason" : {
            "max_doc_words" : 1,
            "min_doc_words" : 2
          },
          "changed" : 0,
          "seconds" : 0.012
        }, {
          "name" : "exact_dedup",
          "in" : 6,
          "out" : 5,
          "rejected" : 1,
          "rejected_by_reason" : {
            "duplicate" : 1
          },
          "details" : {
            "clusters" : 1,
            "enabled" : true
          }
        } ],
        "pii_redactions" : {
          "EMAIL" : 1
        },
        "languages" : {
          "en" : 5
        },
        "split" : {
          "test" : 1,
          "train" : 3,
          "validation" : 1
        },
        "output" : {
          "kept" : 5,
          "rejected" : 5
        },
        "reconciled" : true,
        "seconds" : 3.5,
        "config_hash" : "abc"
      }
      """;

  static PreprocessStats stats() {
    return new PreprocessStats(
        new PreprocessStats.Input(2, 1234, 10),
        List.of(
            PreprocessStats.Step.of("read", 10, Map.of("empty", 1L), null, null, null),
            PreprocessStats.Step.of(
                "gopher_quality",
                9,
                new TreeMap<>(Map.of("min_doc_words", 2L, "max_doc_words", 1L)),
                0L,
                0.012,
                null),
            PreprocessStats.Step.of(
                "exact_dedup",
                6,
                Map.of("duplicate", 1L),
                null,
                null,
                new TreeMap<>(Map.of("enabled", true, "clusters", 1L)))),
        Map.of("EMAIL", 1L),
        Map.of("en", 5L),
        new TreeMap<>(Map.of("train", 3L, "validation", 1L, "test", 1L)),
        new PreprocessStats.Output(5, 5),
        true,
        3.5,
        "abc");
  }

  @Test
  void writesTheJobsLayoutAndReadsItBack() throws Exception {
    stats().write(tmp.toString());
    assertThat(Files.readString(tmp.resolve("stats.json"))).isEqualTo(FILE);
    PreprocessStats back = PreprocessStats.read(tmp.toString());
    assertThat(back.steps()).extracting(PreprocessStats.Step::out).containsExactly(9L, 6L, 5L);
    assertThat(back.steps().get(1).seconds()).isEqualTo(0.012);
    assertThat(back.steps().get(0).changed()).isNull();
    assertThat(back.split()).containsEntry("train", 3L);
    Path again = Files.createDirectories(tmp.resolve("again"));
    back.write(again.toString());
    assertThat(Files.readString(again.resolve("stats.json"))).isEqualTo(FILE);
  }

  @Test
  void aMissingFieldNamesTheFile() throws Exception {
    Files.writeString(tmp.resolve("stats.json"), FILE.replace("\"output\"", "\"outputs\""));
    assertThatThrownBy(() -> PreprocessStats.read(tmp.toString()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(tmp.resolve("stats.json").toString())
        .hasMessageContaining("'output'");
  }
}
