package dev.sparkllm.training.distributed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * How both ends of a gradient connection (driver service and ring peers) prove they belong to the
 * run before any frame is read, and which streams carry the frames afterwards (possibly encrypted).
 */
public interface PeerAuth {
  /** The streams frames travel on once a connection is accepted. */
  record Channel(InputStream in, OutputStream out) {}

  /** Connecting side: runs right after connect; throws if the other side cannot prove itself. */
  Channel client(Socket socket) throws IOException;

  /** Accepting side: runs right after accept, before anything is allocated for the peer. */
  Channel server(Socket socket) throws IOException;
}
