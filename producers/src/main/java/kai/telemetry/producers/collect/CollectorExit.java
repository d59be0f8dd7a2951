package kai.telemetry.producers.collect;

import java.util.List;

/**
 * How a collector's command ends: its summary on the console (not only in the log), and a non-zero
 * exit when it published nothing, so that a script or an operator sees at once that a file or an
 * endpoint landed nothing.
 */
public final class CollectorExit {
  private CollectorExit() {}

  /** A command body that may fail. */
  @FunctionalInterface
  public interface Body {
    EventPublisher.Totals run() throws Exception;
  }

  /**
   * Runs {@code body}; prints its summary and {@code notes}; exits 1 when it published nothing or
   * failed (the reason on standard error, one line).
   */
  public static void run(String collector, Body body, List<String> notes) {
    EventPublisher.Totals totals;
    try {
      totals = body.run();
    } catch (Exception e) {
      System.err.println(collector + " failed: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println(totals.summary());
    notes.forEach(n -> System.out.println(collector + ": " + n));
    if (totals.published() == 0) {
      System.err.println(
          collector
              + ": nothing was published"
              + (totals.rejected() > 0
                  ? " ("
                      + totals.rejected()
                      + " rejected: the reasons are in the log and the rejects topic)"
                  : " (the input held no record this collector reads)"));
      System.exit(1);
    }
  }
}
