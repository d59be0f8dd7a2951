package kai.telemetry.producers.collect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stream read on a thread of its own, so that the reader can stop while a pipe blocks: a read
 * from standard input cannot be interrupted, and waiting on it would make SIGTERM wait on the
 * process at the other end of the pipe. What was read before the stop is still handed out; at most
 * {@link #QUEUED} chunks are held.
 */
public final class InputChunks {
  /** Chunks read ahead at most. */
  static final int QUEUED = 4;

  private static final int CHUNK_BYTES = 64 * 1024;

  /** Bytes read, the end of the input, or a read's failure. */
  public record Chunk(byte[] bytes, int length, IOException error) {
    public boolean end() {
      return length < 0;
    }
  }

  private static final Chunk END = new Chunk(new byte[0], -1, null);

  private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED);

  public InputChunks(InputStream in, String name) {
    Thread reader =
        new Thread(
            () -> {
              try {
                while (true) {
                  byte[] buf = new byte[CHUNK_BYTES];
                  int n = in.read(buf);
                  queue.put(n < 0 ? END : new Chunk(buf, n, null));
                  if (n < 0) {
                    return;
                  }
                }
              } catch (IOException e) {
                queue.offer(new Chunk(new byte[0], -1, e));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            name + "-reader");
    reader.setDaemon(true); // left blocked on the input when the reader stops
    reader.start();
  }

  /**
   * The next chunk; {@link Chunk#end()} at the end of the input, or once {@code stop} is counted
   * down and no chunk read is left.
   *
   * @throws UncheckedIOException when the read failed
   */
  public Chunk next(CountDownLatch stop) throws InterruptedException {
    while (true) {
      Chunk c = queue.poll();
      if (c == null && stop.getCount() > 0) {
        c = queue.poll(100, TimeUnit.MILLISECONDS);
      }
      if (c != null) {
        if (c.error() != null) {
          throw new UncheckedIOException(c.error());
        }
        return c;
      }
      if (stop.getCount() == 0) {
        return END;
      }
    }
  }

  /** Whether no chunk is waiting: the input paused. */
  public boolean idle() {
    return queue.isEmpty();
  }
}
