package dev.sparkllm.training.distributed;

import java.io.IOException;
import java.io.Serializable;
import java.net.Socket;

/**
 * No proof at all: the socket's own streams. For tests, and for the ring until the run's
 * authenticated {@link PeerAuth} is plugged in where {@code DistributedTrainJob} builds the ring.
 */
public final class PlainPeerAuth implements PeerAuth, Serializable {
  @Override
  public Channel client(Socket socket) throws IOException {
    return new Channel(socket.getInputStream(), socket.getOutputStream());
  }

  @Override
  public Channel server(Socket socket) throws IOException {
    return new Channel(socket.getInputStream(), socket.getOutputStream());
  }
}
