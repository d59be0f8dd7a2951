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
    private final ClickHouseErrors.Kind kind;

    public WriteException(String message, ClickHouseErrors.Kind kind, Throwable cause) {
      super(message, cause);
      this.kind = kind;
    }

    /** What the failure means: see {@link ClickHouseErrors}. */
    public ClickHouseErrors.Kind kind() {
      return kind;
    }

    public boolean retriable() {
      return kind == ClickHouseErrors.Kind.TRANSIENT;
    }
  }
}
