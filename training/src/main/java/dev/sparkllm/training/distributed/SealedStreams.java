package dev.sparkllm.training.distributed;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM records for one direction of a connection: {int length, ciphertext + 16-byte tag}, at
 * most {@link #RECORD} plaintext bytes each, the 12-byte IV a record counter. The key is fresh per
 * connection and direction ({@link HmacPeerAuth}), so counter IVs never repeat under a key; a
 * reordered, replayed, truncated or altered record fails its tag and ends the connection.
 */
final class SealedStreams {
  static final int RECORD = 1 << 20;
  private static final int TAG_BITS = 128;

  private SealedStreams() {}

  private static Cipher cipher(int mode, byte[] key, long counter) throws IOException {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      byte[] iv = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
      return c;
    } catch (GeneralSecurityException e) {
      throw new IOException("AES-GCM unavailable: " + e, e);
    }
  }

  /** Buffers plaintext; every flush (and every full record) seals and writes one record. */
  static final class Out extends OutputStream {
    private final OutputStream out;
    private final byte[] key;
    private final byte[] plain = new byte[RECORD];
    private byte[] sealed = new byte[0];
    private int used;
    private long counter;

    Out(OutputStream out, byte[] key) {
      this.out = out;
      this.key = key.clone();
    }

    @Override
    public void write(int b) throws IOException {
      if (used == RECORD) {
        seal();
      }
      plain[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (used == RECORD) {
          seal();
        }
        int n = Math.min(len, RECORD - used);
        System.arraycopy(b, off, plain, used, n);
        used += n;
        off += n;
        len -= n;
      }
    }

    @Override
    public void flush() throws IOException {
      if (used > 0) {
        seal();
      }
      out.flush();
    }

    private void seal() throws IOException {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, key, counter++);
      int n = c.getOutputSize(used);
      if (sealed.length < n + 4) {
        sealed = new byte[n + 4];
      }
      try {
        int len = c.doFinal(plain, 0, used, sealed, 4);
        ByteBuffer.wrap(sealed).putInt(len);
        out.write(sealed, 0, len + 4);
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot encrypt a gradient record: " + e, e);
      }
      used = 0;
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  /** Opens records as they are read; a record longer than the sender may write is refused. */
  static final class In extends InputStream {
    private final DataInputStream in;
    private final byte[] key;
    private final byte[] plain = new byte[RECORD + 16];
    private final byte[] sealed = new byte[RECORD + 16];
    private int pos;
    private int end;
    private long counter;

    In(InputStream in, byte[] key) {
      this.in = new DataInputStream(in);
      this.key = key.clone();
    }

    private boolean fill() throws IOException {
      int len;
      try {
        len = in.readInt();
      } catch (EOFException e) {
        return false;
      }
      if (len < TAG_BITS / 8 || len > RECORD + TAG_BITS / 8) {
        throw new Wire.MalformedFrameException("encrypted record of " + len + " bytes");
      }
      in.readFully(sealed, 0, len);
      try {
        end = cipher(Cipher.DECRYPT_MODE, key, counter++).doFinal(sealed, 0, len, plain, 0);
      } catch (AEADBadTagException e) {
        throw new HmacPeerAuth.AuthException("an encrypted gradient record failed authentication");
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot decrypt a gradient record: " + e, e);
      }
      pos = 0;
      return true;
    }

    @Override
    public int read() throws IOException {
      while (pos == end) {
        if (!fill()) {
          return -1;
        }
      }
      return plain[pos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (pos == end) {
        if (!fill()) {
          return -1;
        }
      }
      int n = Math.min(len, end - pos);
      System.arraycopy(plain, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
