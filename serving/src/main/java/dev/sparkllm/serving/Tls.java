package dev.sparkllm.serving;

import dev.sparkllm.core.SparkLlmException;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** An HTTPS connector from a PEM certificate chain and a PEM PKCS#8 private key (RSA or EC). */
final class Tls {
  private Tls() {}

  static Connector connector(
      Server server, HttpConfiguration http, ServeSettings s, String host, int port) {
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(keyStore(s.tlsCert(), s.tlsKey()));
    ssl.setKeyStorePassword("");
    HttpConfiguration https = new HttpConfiguration(http);
    https.addCustomizer(new SecureRequestCustomizer(false));
    ServerConnector c = new ServerConnector(server, ssl, new HttpConnectionFactory(https));
    c.setHost(host);
    c.setPort(port);
    return c;
  }

  static KeyStore keyStore(String certFile, String keyFile) {
    try {
      List<? extends Certificate> chain =
          List.copyOf(
              CertificateFactory.getInstance("X.509")
                  .generateCertificates(
                      new ByteArrayInputStream(Files.readAllBytes(Path.of(certFile)))));
      if (chain.isEmpty()) {
        throw new SparkLlmException("serve.tls_cert " + certFile + " holds no PEM certificate");
      }
      String pem = Files.readString(Path.of(keyFile));
      if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
        throw new SparkLlmException(
            "serve.tls_key "
                + keyFile
                + " is not a PEM PKCS#8 key (BEGIN PRIVATE KEY); convert it with"
                + " openssl pkcs8 -topk8 -nocrypt");
      }
      byte[] der =
          Base64.getMimeDecoder()
              .decode(
                  pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", ""));
      String alg = chain.get(0).getPublicKey().getAlgorithm();
      PrivateKey key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("server", key, new char[0], chain.toArray(Certificate[]::new));
      return ks;
    } catch (SparkLlmException e) {
      throw e;
    } catch (Exception e) {
      throw new SparkLlmException(
          "cannot load TLS certificate " + certFile + " / key " + keyFile + ": " + e);
    }
  }
}
