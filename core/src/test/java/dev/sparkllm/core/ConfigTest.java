package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    Config c = Config.load(null, List.of("spark.conf.spark.hadoop.fs.s3a.secret.key=abc123"));
    String yaml = c.toMaskedYaml();
    assertThat(yaml).doesNotContain("abc123").contains(Config.MASK);
    assertThat(c.hash()).hasSize(64);
  }

  /**
   * Each --set spark.conf.KEY=V adds one entry named KEY (dots and all), like the YAML form; the
   * second used to replace the first, and KEY came out as nested maps that Spark never saw.
   */
  @Test
  void setOverridesAddSparkConfEntriesAsFlatKeys() {
    Config c =
        Config.load(
            null,
            List.of(
                "spark.conf.spark.sql.shuffle.partitions=8",
                "spark.conf.spark.executor.memory=2g"));
    var conf = c.section("spark").tree().get("conf");
    assertThat(conf.get("spark.sql.shuffle.partitions").asText()).isEqualTo("8");
    assertThat(conf.get("spark.executor.memory").asText()).isEqualTo("2g");
    assertThat(conf.size()).isEqualTo(2);
    Config both =
        withSparkConf(
            List.of("spark.conf.spark.executor.memory=2g"), "spark.sql.shuffle.partitions=8");
    var merged = both.section("spark").tree().get("conf");
    assertThat(merged.get("spark.sql.shuffle.partitions").asText()).isEqualTo("8");
    assertThat(merged.get("spark.executor.memory").asText()).isEqualTo("2g");
  }

  /** The defaults with these spark.conf entries, written as a user would (flat dotted keys). */
  private Config withSparkConf(String... settings) {
    return withSparkConf(List.of(), settings);
  }

  private Config withSparkConf(List<String> overrides, String... settings) {
    var conf = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    for (String kv : settings) {
      conf.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }
    try {
      // JSON is YAML.
      Path f = Files.createTempFile(tmp, "conf", ".yaml");
      Files.writeString(f, "{\"spark\": {\"conf\": " + conf + "}}");
      return Config.load(f.toString(), overrides);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hf_token",
        "spark.hadoop.fs.s3a.session.token",
        "spark.kubernetes.authenticate.submission.oauthToken",
        "GITHUB_TOKEN",
        "token",
        "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net",
        "spark.hadoop.fs.s3a.encryption.key",
        "spark.ssl.private.key",
        "privateKey",
        "spark.hadoop.fs.s3a.access.key",
        "spark.ssl.keyStorePassword",
        "spark.authenticate.secret"
      })
  void secretNamedKeysAreMasked(String key) {
    Config c = withSparkConf(key + "=abc123");
    assertThat(c.toMaskedYaml()).doesNotContain("abc123").contains(key + ": '" + Config.MASK + "'");
  }

  @Test
  void everyElementOfAListUnderASecretKeyIsMasked() throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(
        f,
        "spark:\n  conf:\n    api_keys: [first-key-1, second-key-2]\n"
            + "    hf_token: {primary: tok-primary, pins: [123456]}\n");
    String yaml = Config.load(f.toString(), List.of()).toMaskedYaml();
    assertThat(yaml)
        .doesNotContain("first-key-1", "second-key-2", "tok-primary", "123456")
        .contains(Config.MASK);
  }

  @Test
  void secretsInsideValuesAreMasked() {
    Config c =
        withSparkConf(
            "spark.driver.extraJavaOptions=-Dai.djl.offline=true"
                + " -Djavax.net.ssl.trustStorePassword=hunter2 -Xmx1g",
            "spark.hadoop.fs.defaultFS=https://alice:s3cr3t-pw@store.example:9000/data",
            "spark.jdbc.url=jdbc:postgresql://db/x?user=bob&password=pg-pass&ssl=true",
            "spark.app.args=--token=tok-arg --verbose");
    String yaml = c.toMaskedYaml();
    assertThat(yaml)
        .doesNotContain("hunter2", "s3cr3t-pw", "pg-pass", "tok-arg")
        .contains("-Dai.djl.offline=true -Djavax.net.ssl.trustStorePassword=" + Config.MASK)
        .contains(" -Xmx1g")
        .contains("https://alice:" + Config.MASK + "@store.example:9000/data")
        .contains("user=bob&password=" + Config.MASK + "&ssl=true")
        .contains("--token=" + Config.MASK + " --verbose");
  }

  @Test
  void noSettingOfTheDefaultsIsMaskedAndReferencesToSecretsStay() {
    // A masked setting would be invisible to the config hash; eos_token, pad_token and the
    // boolean preprocess.pii.secret_token are settings, not secrets.
    Config defaults = Config.defaults();
    assertThat(defaults.toMaskedYaml()).doesNotContain(Config.MASK);
    Config refs =
        withSparkConf(
            "spark.hadoop.fs.s3a.aws.credentials.provider=com.example.Provider",
            "spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY=s3-keys:key",
            "spark.hadoop.fs.s3a.session.token.file=/var/run/token");
    assertThat(refs.toMaskedYaml())
        .contains("com.example.Provider", "s3-keys:key", "/var/run/token")
        .doesNotContain(Config.MASK);
  }

  @Test
  void hashIsStableAndCannotConfirmAGuessedSecret() {
    Config real = withSparkConf("spark.hadoop.fs.s3a.secret.key=abc123");
    // Whoever guesses the secret and hashes the guessed config learns nothing: every candidate
    // gives the same hash, the right one included.
    assertThat(withSparkConf("spark.hadoop.fs.s3a.secret.key=wrong-guess").hash())
        .isEqualTo(real.hash());
    assertThat(withSparkConf("spark.driver.extraJavaOptions=-Dx.password=one").hash())
        .isEqualTo(withSparkConf("spark.driver.extraJavaOptions=-Dx.password=two").hash());
    // Stable across loads of one config; any real setting still changes it.
    assertThat(withSparkConf("spark.hadoop.fs.s3a.secret.key=abc123").hash())
        .isEqualTo(real.hash())
        .hasSize(64);
    assertThat(
            withSparkConf(
                    List.of("tokenize.eos_token=<e>"), "spark.hadoop.fs.s3a.secret.key=abc123")
                .hash())
        .isNotEqualTo(real.hash());
    assertThat(Config.load(null, List.of("preprocess.pii.secret_token=false")).hash())
        .isNotEqualTo(Config.load(null, List.of()).hash());
  }
}
