package kai.telemetry.sinks.clickhouse;

import java.util.concurrent.atomic.AtomicLong;

/** The sink's own counters. */
public final class SinkMetrics {
  final AtomicLong recordsIn = new AtomicLong();
  final AtomicLong rowsWritten = new AtomicLong();
  final AtomicLong retries = new AtomicLong();
  final AtomicLong deadLettered = new AtomicLong();
  final AtomicLong flushes = new AtomicLong();

  public long recordsIn() {
    return recordsIn.get();
  }

  public long rowsWritten() {
    return rowsWritten.get();
  }

  public long retries() {
    return retries.get();
  }

  public long deadLettered() {
    return deadLettered.get();
  }

  public long flushes() {
    return flushes.get();
  }

  @Override
  public String toString() {
    return "records in "
        + recordsIn
        + ", rows written "
        + rowsWritten
        + ", retries "
        + retries
        + ", dead-lettered "
        + deadLettered
        + ", flushes "
        + flushes;
  }
}
