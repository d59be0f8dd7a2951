package kai.telemetry.sinks.clickhouse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * Inserts a batch as one {@code INSERT ... FORMAT TabSeparated} over ClickHouse's HTTP interface,
 * the rows encoded here: numbers and strings only, as with bound JDBC parameters, but without the
 * JDBC driver rendering each row into SQL text (its cost dominates the sink; see README,
 * "Figures"). Same all-or-nothing insert per batch and the same error classification as {@link
 * JdbcRowWriter}. Selected with {@code sink.insert.path=http-tsv}.
 */
public final class HttpTsvRowWriter implements RowWriter {
  private final String baseUrl;
  private final String database;
  private final String authorization;
  private final Duration timeout;
  private final HttpClient http;

  public HttpTsvRowWriter(
      String baseUrl, String user, String password, String database, int timeoutMs) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.database = Tables.identifier(database);
    this.authorization =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.timeout = Duration.ofMillis(timeoutMs);
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 10_000)))
            .build();
  }

  @Override
  public void insert(String table, List<String> columns, List<Object[]> rows)
      throws WriteException {
    if (rows.isEmpty()) {
      return;
    }
    String sql = Tables.insertInto(database, table, columns) + " FORMAT TabSeparated";
    byte[] body = encode(rows);
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(baseUrl + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
            .timeout(timeout)
            .header("Authorization", authorization)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new WriteException(
          "insert of " + rows.size() + " rows into " + table + " failed: " + e, true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WriteException("interrupted inserting into " + table, true, e);
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
      IllegalStateException cause = new IllegalStateException(message);
      throw new WriteException(
          message, response.statusCode() >= 500 && JdbcRowWriter.isRetriable(cause), cause);
    }
  }

  /** TabSeparated: \N for null, escaped strings, numbers as Java prints them. */
  static byte[] encode(List<Object[]> rows) {
    StringBuilder out = new StringBuilder(rows.size() * 64);
    for (Object[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          out.append('\t');
        }
        Object v = row[i];
        switch (v) {
          case null -> out.append("\\N");
          case Long l -> out.append(l.longValue());
          case Integer n -> out.append(n.intValue());
          case Double d -> appendDouble(out, d);
          case Float f -> appendDouble(out, f.doubleValue());
          case Boolean b -> out.append(b ? '1' : '0');
          case CharSequence s -> appendEscaped(out, s);
          default ->
              throw new IllegalArgumentException(
                  "cannot write " + v.getClass().getName() + " (numbers and strings only)");
        }
      }
      out.append('\n');
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(out.length() + 16);
    bytes.writeBytes(out.toString().getBytes(StandardCharsets.UTF_8));
    return bytes.toByteArray();
  }

  private static void appendDouble(StringBuilder out, double d) {
    if (Double.isNaN(d)) {
      out.append("nan");
    } else if (Double.isInfinite(d)) {
      out.append(d > 0 ? "inf" : "-inf");
    } else {
      out.append(d);
    }
  }

  private static void appendEscaped(StringBuilder out, CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\0' -> out.append("\\0");
        default -> out.append(c);
      }
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
