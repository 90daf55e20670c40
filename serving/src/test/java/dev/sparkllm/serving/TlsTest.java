package dev.sparkllm.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from a PEM certificate and PKCS#8 key (made here with the JDK's keytool). */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TlsTest {
  @TempDir Path dir;

  @Test
  void servesHttpsWithAPemCertificateAndKey() throws Exception {
    Path p12 = dir.resolve("ks.p12");
    Process kt =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                p12.toString(),
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String ktOut = new String(kt.getInputStream().readAllBytes());
    assertThat(kt.waitFor()).as(ktOut).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, "changeit".toCharArray());
    }
    Certificate cert = ks.getCertificate("server");
    Path certPem = pem(dir.resolve("cert.pem"), "CERTIFICATE", cert.getEncoded());
    Path keyPem =
        pem(
            dir.resolve("key.pem"),
            "PRIVATE KEY",
            ks.getKey("server", "changeit".toCharArray()).getEncoded());

    Path model =
        TestModels.model(dir.resolve("m"), new GptConfig(32, 16, 1, 2, 16, 0, 1e-5, 0.3), 3);
    Path tok = TestModels.tokenizer(dir);
    List<String> tls = List.of("serve.tls_cert=" + certPem, "serve.tls_key=" + keyPem);
    try (LlmServer s = TestModels.start(model, tok, Map.of(), tls)) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("server", cert);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> r =
          https.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + s.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      // Plain HTTP on the same port gets no HTTP answer.
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + s.port() + "/healthz"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
    }
    // A key that is not PKCS#8 PEM is a one-line error naming the file.
    Files.writeString(
        keyPem, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> TestModels.start(model, tok, Map.of(), tls))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(keyPem.toString())
        .hasMessageContaining("PKCS#8");
  }

  private static Path pem(Path file, String type, byte[] der) throws IOException {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
    return file;
  }
}
