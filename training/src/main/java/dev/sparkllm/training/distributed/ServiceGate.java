package dev.sparkllm.training.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gradient service's door: accepts connections up to the cap, and gives each one the handshake
 * timeout to prove the run's secret ({@link PeerAuth}) and say hello. Only then is the connection
 * handed to the service, so nothing of the service's state is touched, and nothing but fixed-size
 * handshake fields is read, for a peer that is not one of the run's replicas.
 */
final class ServiceGate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceGate.class);

  /** A connection that passed the gate: its frame streams and its hello. */
  record Admitted(
      Socket socket, DataInputStream in, DataOutputStream out, Wire.Frame hello, Object peer) {}

  /** Serves one admitted connection until it ends (on the connection's own thread). */
  interface Handler {
    void serve(Admitted connection) throws IOException;
  }

  private final ServerSocket socket;
  private final PeerAuth auth;
  private final GradientServer.Limits limits;
  private final Rejections rejections;
  private final Semaphore slots;
  private final Handler handler;
  private final Thread acceptor;
  private volatile boolean closed;

  ServiceGate(
      String bindHost,
      int port,
      PeerAuth auth,
      GradientServer.Limits limits,
      Rejections rejections,
      Handler handler)
      throws IOException {
    this.auth = auth;
    this.limits = limits;
    this.rejections = rejections;
    this.slots = new Semaphore(limits.maxConnections());
    this.handler = handler;
    this.socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getByName(bindHost), port), 64);
    this.acceptor = new Thread(this::acceptLoop, "gradient-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = socket.accept();
        if (!slots.tryAcquire()) {
          rejections.count(
              Rejections.CONNECTIONS,
              s.getRemoteSocketAddress(),
              limits.maxConnections() + " connections already open");
          s.close();
          continue;
        }
        Thread t =
            new Thread(
                () -> {
                  try (s) {
                    admit(s);
                  } catch (IOException e) {
                    // Closing a connection that failed anyway.
                  } finally {
                    slots.release();
                  }
                },
                "gradient-server-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("gradient server accept failed: {}", e.toString());
        }
      }
    }
  }

  private void admit(Socket s) throws IOException {
    Object peer = s.getRemoteSocketAddress();
    s.setTcpNoDelay(true);
    s.setSoTimeout((int) Math.max(1, limits.handshakeTimeout().toMillis()));
    Admitted admitted;
    try {
      PeerAuth.Channel channel = auth.server(s);
      DataInputStream in = new DataInputStream(new BufferedInputStream(channel.in(), 1 << 16));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(channel.out(), 1 << 16));
      admitted = new Admitted(s, in, out, Wire.read(in, 1), peer);
    } catch (SocketTimeoutException e) {
      rejections.count(Rejections.TIMEOUT, peer, "no handshake and hello within the timeout");
      return;
    } catch (Wire.MalformedFrameException e) {
      rejections.count(Rejections.MALFORMED, peer, e.getMessage());
      return;
    } catch (IOException e) {
      rejections.count(Rejections.AUTH, peer, e.getMessage());
      return;
    }
    // An authenticated rank may rightly stay quiet for many steps (local SGD, DiLoCo): the
    // service's round watchdog names a late rank, a new attempt or close() ends a dead
    // connection, and keepalive notices a vanished host.
    s.setSoTimeout(0);
    s.setKeepAlive(true);
    handler.serve(admitted);
  }

  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }
}
