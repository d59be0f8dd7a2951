package kai.telemetry.producers.collect;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How a collector's command ends: its summary on the console (not only in the log), and a non-zero
 * exit when it published nothing, so that a script or an operator sees at once that a file or an
 * endpoint landed nothing. A collector that runs until stopped ends the same way on SIGTERM: its
 * hook asks it to stop, waits for it to flush and print its summary, and the JVM exits (143). An
 * importer, which ends with its input, has no hook: SIGTERM ends it at once.
 */
public final class CollectorExit {
  /** How long SIGTERM's hook waits for a collector to flush what it read and say so. */
  static final long STOP_WAIT_MS = 10_000;

  private CollectorExit() {}

  /** A command body that may fail. */
  @FunctionalInterface
  public interface Body {
    EventPublisher.Totals run() throws Exception;
  }

  /** A command body that runs until its input ends or it is asked to stop. */
  @FunctionalInterface
  public interface StoppableBody {
    /** Runs; hands {@code stop} what stops it once that exists ({@link StopSignal#attach}). */
    EventPublisher.Totals run(StopSignal stop) throws Exception;
  }

  /** SIGTERM's request to stop, whether it comes before or after the collector exists. */
  public static final class StopSignal {
    private volatile Runnable target;
    private volatile boolean requested;

    /** Stops {@code collector} on request, at once when the request already came. */
    public void attach(Runnable collector) {
      target = collector;
      if (requested) {
        collector.run();
      }
    }

    void request() {
      requested = true;
      Runnable t = target;
      if (t != null) {
        t.run();
      }
    }
  }

  /**
   * Runs {@code body} to its end; prints its summary and {@code notes}; exits 1 when it published
   * nothing or failed (the reason on standard error, one line).
   */
  public static void run(String collector, Body body, List<String> notes) {
    // No hook: an importer ends with its input, and SIGTERM ends it at once, as before.
    int status = finish(collector, stop -> body.run(), new StopSignal(), notes);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * As {@link #run}, for a collector that may run until stopped: SIGTERM stops it through the
   * signal it attached, which must make {@code body} return promptly with what it published, and
   * waits for the summary.
   */
  public static void runUntilStopped(String collector, StoppableBody body, List<String> notes) {
    StopSignal stop = new StopSignal();
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.request();
              try {
                if (!finished.await(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                  System.err.println(
                      collector + ": did not stop within " + STOP_WAIT_MS + " ms; exiting anyway");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            collector + "-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    int status;
    try {
      status = finish(collector, body, stop, notes);
    } finally {
      finished.countDown();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shutdownInProgress) {
      return; // SIGTERM: the JVM is exiting (143); System.exit now would block for good
    }
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Runs {@code body}, prints its summary and notes; returns the exit status it earns. */
  private static int finish(
      String collector, StoppableBody body, StopSignal stop, List<String> notes) {
    try {
      EventPublisher.Totals totals = body.run(stop);
      System.out.println(totals.summary());
      notes.forEach(n -> System.out.println(collector + ": " + n));
      if (totals.published() > 0) {
        return 0;
      }
      System.err.println(
          collector
              + ": nothing was published"
              + (totals.rejected() > 0
                  ? " ("
                      + totals.rejected()
                      + " rejected: the reasons are in the log and the rejects topic)"
                  : " (the input held no record this collector reads)"));
      return 1;
    } catch (Exception e) {
      System.err.println(collector + " failed: " + e.getMessage());
      return 1;
    }
  }
}
