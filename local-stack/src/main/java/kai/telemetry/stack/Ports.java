package kai.telemetry.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Port helpers: free ports for tests, and a check that a fixed port is free. */
public final class Ports {
  private Ports() {}

  public static int free() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code n} distinct free ports: all held open at once, so none is handed out twice. */
  public static int[] free(int n) {
    ServerSocket[] sockets = new ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException ignored) {
            // closing a probe socket
          }
        }
      }
    }
  }

  public static boolean inUse(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static void requireFree(int port, String what) {
    if (inUse(port)) {
      throw new IllegalStateException(
          "port "
              + port
              + " for "
              + what
              + " is already in use on 127.0.0.1: stop what holds it"
              + " (another local run?) or choose other ports");
    }
  }
}
