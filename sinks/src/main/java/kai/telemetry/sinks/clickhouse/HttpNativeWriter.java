package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inserts a batch as one {@code INSERT ... FORMAT Native} over ClickHouse's HTTP interface. Each
 * row is transcoded straight from the record's Avro bytes into RowBinary when it is read ({@link
 * RowBinaryTranscoder}); the insert thread lays a batch's rows out column by column, which the
 * server reads in bulk. It does the same work as {@link JdbcRowWriter} (all-or-nothing insert per
 * batch, same error classification) with a fraction of the sink's CPU: no Avro objects, and no
 * rendering of every value into SQL text (the JDBC driver's cost; see README, "Figures").
 *
 * <p>The tables' column types are read from {@code system.columns} when the writer is built, after
 * migrations; a column this path cannot write fails the start with the column named.
 */
public final class HttpNativeWriter implements RowWriter<byte[]> {
  private final String baseUrl;
  private final String database;
  private final String authorization;
  private final Duration timeout;
  private final HttpClient http;
  private final Map<String, RowBinaryTranscoder> transcoders = new HashMap<>();
  private final Map<String, List<RowBinary.Column>> columnsByTable = new HashMap<>();

  public HttpNativeWriter(
      String baseUrl,
      String user,
      String password,
      String database,
      int timeoutMs,
      List<TableRoute<?>> routes) {
    this.baseUrl = ClickHouseHttp.withoutTrailingSlash(baseUrl);
    this.database = Tables.identifier(database);
    this.authorization = ClickHouseHttp.basicAuthorization(user, password);
    this.timeout = Duration.ofMillis(timeoutMs);
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 10_000)))
            .build();
    try (ClickHouseHttp ch = new ClickHouseHttp(this.baseUrl, user, password)) {
      for (TableRoute<?> route : routes) {
        RowBinaryTranscoder t =
            new RowBinaryTranscoder(route, columns(ch, this.database, route.table()));
        transcoders.put(route.topic(), t);
        describe(route.table(), t.columns());
      }
    }
  }

  /** Declares a table's columns (the insert's order, the table's types). */
  void describe(String table, List<RowBinary.Column> columns) {
    columnsByTable.put(table, List.copyOf(columns));
  }

  /** A table's column types by column name, as the server has them. */
  static Map<String, String> columns(ClickHouseHttp ch, String database, String table) {
    String tsv =
        ch.execute(
            "SELECT name, type FROM system.columns WHERE database = '"
                + Tables.identifier(database)
                + "' AND table = '"
                + Tables.identifier(table)
                + "' FORMAT TabSeparated");
    Map<String, String> types = new HashMap<>();
    for (String line : tsv.split("\n")) {
      String[] nameAndType = line.split("\t", 2);
      if (nameAndType.length == 2) {
        types.put(nameAndType[0], nameAndType[1]);
      }
    }
    if (types.isEmpty()) {
      throw new IllegalStateException("table " + database + "." + table + " not found");
    }
    return types;
  }

  @Override
  public byte[] row(TableRoute<?> route, byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("empty value (tombstone) where an event was expected");
    }
    RowBinaryTranscoder t = transcoders.get(route.topic());
    if (t == null) {
      throw new IllegalStateException("no transcoder for topic " + route.topic());
    }
    return t.encode(value);
  }

  @Override
  public void insert(String table, List<String> columns, List<byte[]> rows) throws WriteException {
    if (rows.isEmpty()) {
      return;
    }
    String sql = Tables.insertInto(database, table, columns) + " FORMAT Native";
    List<RowBinary.Column> types = columnsByTable.get(table);
    if (types == null) {
      throw new IllegalArgumentException("no route lands in table " + table);
    }
    byte[] body = NativeBlock.of(types, columns, rows);
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(baseUrl + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
            .timeout(timeout)
            .header("Authorization", authorization)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<String> response;
    try {
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        if (!staleConnection(e)) {
          throw e;
        }
        // The server closed an idle kept-alive connection just as it was reused (its keep-alive
        // is shorter than the client's): nothing was read on it, so the request goes again once.
        response = http.send(request, HttpResponse.BodyHandlers.ofString());
      }
    } catch (IOException e) {
      throw new WriteException(
          "insert of " + rows.size() + " rows into " + table + " failed: " + e,
          ClickHouseErrors.Kind.TRANSIENT,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WriteException(
          "interrupted inserting into " + table, ClickHouseErrors.Kind.TRANSIENT, e);
    }
    if (response.statusCode() != 200) {
      String message =
          "insert of "
              + rows.size()
              + " rows into "
              + table
              + " failed (HTTP "
              + response.statusCode()
              + "): "
              + response.body().strip();
      throw new WriteException(
          message,
          ClickHouseErrors.of(response.statusCode(), response.body()),
          new IllegalStateException(message));
    }
  }

  /** The failure of a request sent on a connection the server had already closed. */
  static boolean staleConnection(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.io.EOFException
          || String.valueOf(t.getMessage()).contains("header parser received no bytes")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    http.close();
  }
}
