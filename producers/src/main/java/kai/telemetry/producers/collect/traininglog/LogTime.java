package kai.telemetry.producers.collect.traininglog;

/**
 * When a logged step happened, for formats whose lines may carry no time: the line's own time
 * first; else the run's start ({@code log.start.time}) plus the elapsed time the format reports
 * (Megatron's per-iteration time, nanoGPT's train_time, ...); else, for a live log, the time the
 * line was read; else the start time itself. A finished log with neither its own times nor a start
 * time has no honest time: its steps are refused with the reason. How many steps took each fallback
 * is counted for the collector's summary.
 */
public final class LogTime {
  private final Long startMs;
  private final boolean live;
  private final java.time.ZoneId zone;
  private long readMs;
  private long atRead;
  private long atStart;

  /**
   * @param startMs the run's start, epoch ms, or null
   * @param live true when following a growing log (read time is close to the step's time)
   */
  public LogTime(Long startMs, boolean live) {
    this(startMs, live, java.time.ZoneOffset.UTC);
  }

  /**
   * @param zone the zone of times a log prints without one (Megatron's local timestamps)
   */
  public LogTime(Long startMs, boolean live, java.time.ZoneId zone) {
    this.startMs = startMs;
    this.live = live;
    this.zone = zone;
  }

  /** The zone of times the log prints without one. */
  public java.time.ZoneId zone() {
    return zone;
  }

  /** A live log's clock, with no start time. */
  public static LogTime live() {
    return new LogTime(null, true);
  }

  /** Sets the time the lines now being parsed were read. */
  public void readAt(long ms) {
    this.readMs = ms;
  }

  public Long startMs() {
    return startMs;
  }

  /**
   * The event time of a step: {@code ownMs} if the line has one, else as the class says.
   *
   * @param elapsedMs time since the run started by the format's own fields, or null
   * @throws IllegalArgumentException when a finished log gives no way to time the step
   */
  public long stamp(Long ownMs, Long elapsedMs) {
    if (ownMs != null) {
      return ownMs;
    }
    if (startMs != null && elapsedMs != null) {
      return startMs + elapsedMs;
    }
    if (live) {
      atRead++;
      return readMs;
    }
    if (startMs != null) {
      atStart++;
      return startMs;
    }
    throw new IllegalArgumentException(
        "the line has no time of its own and the format no elapsed time: set log.start.time"
            + " (the run's start, ISO-8601) to time a finished log");
  }

  /** What the summary should say about steps that had no time of their own, if anything. */
  public java.util.List<String> notes() {
    java.util.List<String> notes = new java.util.ArrayList<>();
    if (atRead > 0) {
      notes.add(
          atRead
              + " records had no time of their own and were stamped when read"
              + " (a finished log is better imported with import-training-log log.start.time=...)");
    }
    if (atStart > 0) {
      notes.add(
          atStart
              + " records had neither a time nor an elapsed time and were stamped with"
              + " log.start.time");
    }
    return notes;
  }
}
