package kai.telemetry.sinks.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads ClickHouse over HTTP with SQL that names its output format. This is the read path that
 * works on both the distribution's ClickHouse 18.16 and current releases (see docs/DESIGN.md).
 */
public final class ClickHouseHttp implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final String authorization;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  public ClickHouseHttp(String baseUrl) {
    this(baseUrl, "default", "");
  }

  public ClickHouseHttp(String baseUrl, String user, String password) {
    this.baseUrl = withoutTrailingSlash(baseUrl);
    this.authorization = basicAuthorization(user, password);
  }

  static String withoutTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The HTTP Authorization header value for a ClickHouse login. */
  static String basicAuthorization(String user, String password) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  public boolean ping() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(baseUrl + "/ping"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().startsWith("Ok.");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public String version() {
    return execute("SELECT version()").trim();
  }

  /** Runs {@code sql} and returns the raw answer; fails with ClickHouse's message. */
  public String execute(String sql) {
    return execute(sql, Duration.ofSeconds(30));
  }

  /** As {@link #execute(String)}, waiting at most {@code timeout} (a bulk load may take longer). */
  public String execute(String sql, Duration timeout) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUrl + "/"))
            .timeout(timeout)
            .header("Authorization", authorization)
            .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
            .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "ClickHouse refused query (HTTP "
                + r.statusCode()
                + "): "
                + r.body().trim()
                + "\nSQL: "
                + sql);
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException("ClickHouse at " + baseUrl + " unreachable: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Runs a SELECT and returns its rows; appends FORMAT JSONEachRow. */
  public List<JsonNode> rows(String select) {
    String body = execute(select + " FORMAT JSONEachRow");
    List<JsonNode> rows = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (!line.isBlank()) {
        try {
          rows.add(JSON.readTree(line));
        } catch (IOException e) {
          throw new IllegalStateException("unreadable row from ClickHouse: " + line, e);
        }
      }
    }
    return rows;
  }

  /** A single number from a SELECT that returns one row with one column. */
  public long count(String select) {
    return Long.parseLong(execute(select + " FORMAT TabSeparated").trim());
  }

  @Override
  public void close() {
    http.close();
  }
}
