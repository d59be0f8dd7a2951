package kai.telemetry.stack;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; never a fixed sleep. */
public final class Await {
  private Await() {}

  /** Waits until {@code condition} is true; throws with {@code what} and the last error if not. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    long pauseMs = 20;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out after "
                + timeout.toSeconds()
                + " s waiting for "
                + what
                + (last == null ? "" : " (last error: " + last + ")"),
            last);
      }
      pause(pauseMs);
      pauseMs = Math.min(500, pauseMs * 2);
    }
  }

  /** Waits until {@code value} returns something matching; returns it. */
  public static <T> T value(
      String what, Duration timeout, Supplier<T> value, java.util.function.Predicate<T> ok) {
    Object[] holder = new Object[1];
    until(
        what,
        timeout,
        () -> {
          T v = value.get();
          holder[0] = v;
          return ok.test(v);
        });
    @SuppressWarnings("unchecked")
    T result = (T) holder[0];
    return result;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
