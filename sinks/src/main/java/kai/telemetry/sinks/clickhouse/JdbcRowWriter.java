package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched inserts through com.clickhouse:clickhouse-jdbc (v2) with prepared statements binding
 * numbers and strings only: the one write path that works on both ClickHouse 18.16 and current
 * releases. The connection is re-opened after a connection-level failure.
 */
public final class JdbcRowWriter implements RowWriter<Object[]> {
  private static final Logger log = LoggerFactory.getLogger(JdbcRowWriter.class);
  private static final Pattern SERVER_CODE = Pattern.compile("Code: (\\d+)");

  /**
   * Server error codes that pass: timeouts, overload, too many parts (merges catch up), network,
   * memory pressure, and a table not yet visible to the replica that took the insert.
   */
  private static final Set<Integer> TRANSIENT_CODES =
      Set.of(159, 160, 164, 202, 203, 209, 210, 241, 242, 252, 285, 319, 425, 999);

  private final String url;
  private final Properties properties;
  private final String database;
  private Connection connection;

  public JdbcRowWriter(String url, String user, String password, String database, int timeoutMs) {
    this.url = url;
    this.database = Tables.identifier(database);
    this.properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("socket_timeout", Integer.toString(timeoutMs));
    properties.setProperty("connection_timeout", Integer.toString(Math.min(timeoutMs, 10_000)));
    // ClickHouse 18.16 answers LZ4-compressed responses the client cannot read; HTTP is local.
    properties.setProperty("compress", "false");
  }

  @Override
  public Object[] row(TableRoute<?> route, byte[] value) {
    return route.row(value);
  }

  @Override
  public void insert(String table, List<String> columns, List<Object[]> rows)
      throws WriteException {
    if (rows.isEmpty()) {
      return;
    }
    String sql =
        Tables.insertInto(database, table, columns)
            + " VALUES ("
            + "?, ".repeat(columns.size() - 1)
            + "?)";
    try {
      Connection c = connection();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (Object[] row : rows) {
          for (int i = 0; i < row.length; i++) {
            bind(ps, i + 1, row[i]);
          }
          ps.addBatch();
        }
        ps.executeBatch();
      }
    } catch (SQLException | RuntimeException e) {
      boolean retriable = isRetriable(e);
      if (retriable) {
        closeQuietly();
      }
      throw new WriteException(
          "insert of " + rows.size() + " rows into " + table + " failed: " + e.getMessage(),
          retriable,
          e);
    }
  }

  private static void bind(PreparedStatement ps, int index, Object value) throws SQLException {
    switch (value) {
      case null -> ps.setNull(index, Types.NULL);
      case Long l -> ps.setLong(index, l);
      case Integer i -> ps.setInt(index, i);
      case Double d -> ps.setDouble(index, d);
      case Float f -> ps.setDouble(index, f);
      case Boolean b -> ps.setInt(index, b ? 1 : 0); // UInt8 columns
      case CharSequence s -> ps.setString(index, s.toString());
      default ->
          throw new IllegalArgumentException(
              "cannot bind " + value.getClass().getName() + " (bind numbers and strings only)");
    }
  }

  /** Network and timeout failures and known transient server codes pass; the rest is data. */
  static boolean isRetriable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      String name = t.getClass().getName();
      if (name.contains("ConnectException")
          || name.contains("Timeout")
          || name.contains("NoHttpResponse")
          || name.contains("ConnectionClosed")) {
        return true;
      }
      String message = String.valueOf(t.getMessage());
      Matcher m = SERVER_CODE.matcher(message);
      if (m.find()) {
        return TRANSIENT_CODES.contains(Integer.parseInt(m.group(1)));
      }
      if (message.contains("Connection refused") || message.contains("connect timed out")) {
        return true;
      }
    }
    return false;
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = DriverManager.getConnection(url, properties);
      log.info("connected to ClickHouse at {}", url);
    }
    return connection;
  }

  private void closeQuietly() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("closing a failed connection: {}", e.toString());
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
