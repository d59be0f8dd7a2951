package kai.telemetry.sinks.clickhouse;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched inserts through com.clickhouse:clickhouse-jdbc (v2) with prepared statements binding
 * numbers and strings only: the one write path that works on both ClickHouse 18.16 and current
 * releases. The connection is re-opened after a connection-level failure.
 */
public final class JdbcRowWriter implements RowWriter<Object[]> {
  private static final Logger log = LoggerFactory.getLogger(JdbcRowWriter.class);
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
      ClickHouseErrors.Kind kind = ClickHouseErrors.of(e);
      if (kind != ClickHouseErrors.Kind.ROW) {
        closeQuietly(); // a fresh connection for the retry, or for whoever fixes the cause
      }
      throw new WriteException(
          "insert of " + rows.size() + " rows into " + table + " failed: " + e.getMessage(),
          kind,
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
