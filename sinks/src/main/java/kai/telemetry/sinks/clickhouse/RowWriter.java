package kai.telemetry.sinks.clickhouse;

import java.util.List;

/**
 * Writes rows into ClickHouse tables; the seam between the sink's logic and the database. Each
 * writer decides what a row is ({@code R}): decoded values to bind, or bytes already encoded for
 * the server.
 */
public interface RowWriter<R> extends AutoCloseable {

  /**
   * The row for one record of {@code route}'s topic (its value in the registry wire format).
   *
   * @throws RuntimeException if the value cannot be decoded or does not fit the table
   */
  R row(TableRoute<?> route, byte[] value);

  /**
   * Inserts {@code rows} (made by {@link #row} for this table's route, values in {@code columns}
   * order) into {@code table}, all or nothing.
   *
   * @throws WriteException classified as retriable or not
   */
  void insert(String table, List<String> columns, List<R> rows) throws WriteException;

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
