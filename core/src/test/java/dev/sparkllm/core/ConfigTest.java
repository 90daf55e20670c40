package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path tmp;

  @Test
  void defaultsLoadAndOverridesApply() throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(f, "preprocess:\n  seed: 7\n  gopher_quality:\n    min_doc_words: 10\n");
    Config c = Config.load(f.toString(), List.of("preprocess.split.train=0.5"));
    assertThat(c.getInt("preprocess.seed")).isEqualTo(7);
    assertThat(c.section("preprocess.gopher_quality").getInt("min_doc_words")).isEqualTo(10);
    assertThat(c.getDouble("preprocess.split.train")).isEqualTo(0.5);
    assertThat(c.getDouble("preprocess.split.validation")).isEqualTo(0.01);
  }

  @Test
  void unknownKeyIsNamed() throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(f, "preprocess:\n  sed: 7\n");
    assertThatThrownBy(() -> Config.load(f.toString(), List.of()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("unknown config key 'preprocess.sed'")
        .hasMessageContaining(f.toString());
    assertThatThrownBy(() -> Config.load(null, List.of("nosuch.key=1")))
        .hasMessageContaining("unknown config key 'nosuch'");
  }

  @Test
  void wrongTypeIsNamed() {
    assertThatThrownBy(() -> Config.load(null, List.of("preprocess.seed=abc")))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("'preprocess.seed'")
        .hasMessageContaining("must be an integer");
    assertThatThrownBy(() -> Config.load(null, List.of("preprocess.html_clean.enabled=3")))
        .hasMessageContaining("must be a boolean");
    assertThatThrownBy(
            () -> Config.load(null, List.of("preprocess.gopher_repetition.top_n_grams=[[2, x]]")))
        .hasMessageContaining("top_n_grams[0][1]");
  }

  @Test
  void badYamlAndMissingFileAreOneLineErrors() throws Exception {
    Path f = tmp.resolve("bad.yaml");
    Files.writeString(f, "preprocess: [unclosed\n");
    assertThatThrownBy(() -> Config.load(f.toString(), List.of()))
        .hasMessageContaining("is not valid YAML");
    assertThatThrownBy(() -> Config.load(tmp.resolve("none.yaml").toString(), List.of()))
        .hasMessageContaining("file not found");
  }

  @Test
  void freeFormSparkConfAndSecretsMasked() {
    Config c =
        Config.load(
            null,
            List.of(
                "spark.conf.spark.hadoop.fs.s3a.secret.key=abc123",
                "spark.conf.spark.sql.shuffle.partitions=4"));
    String yaml = c.toMaskedYaml();
    assertThat(yaml).doesNotContain("abc123").contains(Config.MASK);
    assertThat(c.hash()).hasSize(64);
  }
}
