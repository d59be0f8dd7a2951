package kai.telemetry.sinks.clickhouse;

import java.util.List;

/** Writes rows into one ClickHouse table; the seam between the sink's logic and the database. */
public interface RowWriter extends AutoCloseable {

  /**
   * Inserts {@code rows} (values in {@code columns} order) into {@code table}, all or nothing.
   *
   * @throws WriteException classified as retriable or not
   */
  void insert(String table, List<String> columns, List<Object[]> rows) throws WriteException;

  @Override
  void close();

  /** A failed write, classified once: retry it, or isolate the bad row. */
  final class WriteException extends Exception {
    private final boolean retriable;

    public WriteException(String message, boolean retriable, Throwable cause) {
      super(message, cause);
      this.retriable = retriable;
    }

    public boolean retriable() {
      return retriable;
    }
  }
}
