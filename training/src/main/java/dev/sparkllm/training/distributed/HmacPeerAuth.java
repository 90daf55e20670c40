package dev.sparkllm.training.distributed;

import dev.sparkllm.core.Secrets;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual HMAC-SHA256 challenge-response over a per-run secret: each side sends a fresh 32-byte
 * nonce and proves the secret by a MAC over both nonces and its role, so a recorded handshake
 * replays to nothing (the other side's nonce is new) and a reflected one fails (the roles differ).
 * Nothing but the fixed-size nonces and MACs is read before the peer has proved itself.
 *
 * <p>With {@code encrypt}, frames then travel in AES-GCM records ({@link SealedStreams}) under keys
 * derived from the secret and both nonces (HMAC as HKDF-Expand), one key per direction, fresh per
 * connection.
 *
 * <p>The secret is generated on the driver ({@link #generate}) and reaches the replicas inside the
 * barrier task's closure, so it is as confidential as Spark's own RPC (spark.authenticate and
 * spark.network.crypto.enabled protect it in transit). {@link #toString} masks it.
 */
public final class HmacPeerAuth implements PeerAuth, Serializable {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x53504C41; // "SPLA"
  private static final byte VERSION = 1;
  static final int NONCE = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] secret;
  private final boolean encrypt;

  public HmacPeerAuth(byte[] secret, boolean encrypt) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException("the gradient service secret needs at least 16 bytes");
    }
    this.secret = secret.clone();
    this.encrypt = encrypt;
  }

  /** A fresh 32-byte secret for one run. */
  public static HmacPeerAuth generate(boolean encrypt) {
    byte[] s = new byte[32];
    RANDOM.nextBytes(s);
    return new HmacPeerAuth(s, encrypt);
  }

  public boolean encrypts() {
    return encrypt;
  }

  @Override
  public Channel client(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    DataOutputStream out = new DataOutputStream(socket.getOutputStream());
    byte[] mine = nonce();
    out.writeInt(MAGIC);
    out.writeByte(VERSION);
    out.write(mine);
    out.flush();
    byte[] theirs = new byte[NONCE];
    byte[] proof = new byte[32];
    in.readFully(theirs);
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, mac("server", mine, theirs))) {
      throw new AuthException(
          "the gradient service did not prove it knows this run's secret (another run's service,"
              + " or not a spark-llm service, is listening on that port)");
    }
    out.write(mac("client", mine, theirs));
    out.flush();
    return channel(
        socket, mac("client->server", mine, theirs), mac("server->client", mine, theirs));
  }

  @Override
  public Channel server(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    DataOutputStream out = new DataOutputStream(socket.getOutputStream());
    int magic = in.readInt();
    byte version = in.readByte();
    if (magic != MAGIC || version != VERSION) {
      throw new AuthException("no handshake (not a replica of this run, or another version)");
    }
    byte[] theirs = new byte[NONCE];
    in.readFully(theirs);
    byte[] mine = nonce();
    out.write(mine);
    out.write(mac("server", theirs, mine));
    out.flush();
    byte[] proof = new byte[32];
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, mac("client", theirs, mine))) {
      throw new AuthException("wrong proof of the run's secret");
    }
    return channel(
        socket, mac("server->client", theirs, mine), mac("client->server", theirs, mine));
  }

  private Channel channel(Socket socket, byte[] sendKey, byte[] receiveKey) throws IOException {
    if (!encrypt) {
      return new Channel(socket.getInputStream(), socket.getOutputStream());
    }
    return new Channel(
        new SealedStreams.In(socket.getInputStream(), receiveKey),
        new SealedStreams.Out(socket.getOutputStream(), sendKey));
  }

  private static byte[] nonce() {
    byte[] n = new byte[NONCE];
    RANDOM.nextBytes(n);
    return n;
  }

  /** HMAC-SHA256(secret, label || clientNonce || serverNonce). */
  private byte[] mac(String label, byte[] clientNonce, byte[] serverNonce) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(secret, "HmacSHA256"));
      m.update(label.getBytes(StandardCharsets.US_ASCII));
      m.update((byte) 0);
      m.update(clientNonce);
      return m.doFinal(serverNonce);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /** A peer that failed the handshake; the connection is dropped. */
  public static final class AuthException extends IOException {
    AuthException(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "HmacPeerAuth[secret=" + Secrets.MASK + ", encrypt=" + encrypt + "]";
  }
}
