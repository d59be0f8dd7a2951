package kai.telemetry.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real ClickHouse server (the distribution's clickhouse-server) run as a child process from a
 * config written here, on dedicated ports, with all its data under one folder of ours.
 */
public final class ClickHouseServer implements ClickHouseEndpoint {
  private static final Logger log = LoggerFactory.getLogger(ClickHouseServer.class);

  private final Path dir;
  private final Path config;
  private final int httpPort;
  private final int tcpPort;
  private final int interserverPort;
  private volatile ManagedProcess process;

  private ClickHouseServer(Path dir, Path config, int httpPort, int tcpPort, int interserverPort) {
    this.dir = dir;
    this.config = config;
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    this.interserverPort = interserverPort;
  }

  public static ClickHouseServer start(Path dir, int httpPort, int tcpPort, int interserverPort) {
    StackHome.clickhouseServerBinary();
    Path config = writeConfig(dir, httpPort, tcpPort, interserverPort);
    ClickHouseServer server = new ClickHouseServer(dir, config, httpPort, tcpPort, interserverPort);
    server.launch();
    return server;
  }

  /** Stops the server; its data stays. For outage tests, with {@link #restart()}. */
  @Override
  public synchronized void stop() {
    process.close();
  }

  /** Starts the server again on the same ports and data after {@link #stop()}. */
  @Override
  public synchronized void restart() {
    launch();
  }

  private void launch() {
    Ports.requireFree(httpPort, "ClickHouse HTTP");
    Ports.requireFree(tcpPort, "ClickHouse native");
    Ports.requireFree(interserverPort, "ClickHouse interserver");
    long t0 = System.nanoTime();
    ManagedProcess p =
        ManagedProcess.start(
            "clickhouse-server",
            List.of(StackHome.clickhouseServerBinary().toString(), "--config-file=" + config),
            Map.of(),
            dir);
    this.process = p;
    ClickHouseServer server = this;
    try {
      Await.until(
          "ClickHouse to answer /ping on port " + httpPort,
          Duration.ofSeconds(60),
          () -> {
            p.requireAlive();
            return server.ping();
          });
      log.info(
          "ClickHouse {} ready on http {} / native {} in {} ms (data {})",
          server.version(),
          httpPort,
          tcpPort,
          (System.nanoTime() - t0) / 1_000_000,
          dir);
    } catch (RuntimeException e) {
      p.close();
      throw new IllegalStateException(
          e.getMessage() + "\nClickHouse log tail:\n" + p.logTail(30) + "\n" + errLogTail(dir), e);
    }
  }

  private static String errLogTail(Path dir) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("log/clickhouse-server.err.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  private static Path writeConfig(Path dir, int httpPort, int tcpPort, int interserverPort) {
    try {
      for (String sub : List.of("data", "tmp", "user_files", "format_schemas", "log")) {
        Files.createDirectories(dir.resolve(sub));
      }
      String d = dir.toAbsolutePath().toString();
      Path config = dir.resolve("config.xml");
      Files.writeString(
          config,
          """
          <?xml version="1.0"?>
          <yandex>
            <logger>
              <level>warning</level>
              <log>%1$s/log/clickhouse-server.log</log>
              <errorlog>%1$s/log/clickhouse-server.err.log</errorlog>
              <size>50M</size>
              <count>2</count>
            </logger>
            <listen_host>127.0.0.1</listen_host>
            <http_port>%2$d</http_port>
            <tcp_port>%3$d</tcp_port>
            <interserver_http_port>%4$d</interserver_http_port>
            <path>%1$s/data/</path>
            <tmp_path>%1$s/tmp/</tmp_path>
            <user_files_path>%1$s/user_files/</user_files_path>
            <format_schema_path>%1$s/format_schemas/</format_schema_path>
            <users_config>%1$s/users.xml</users_config>
            <default_profile>default</default_profile>
            <default_database>default</default_database>
            <timezone>UTC</timezone>
            <mark_cache_size>268435456</mark_cache_size>
            <max_concurrent_queries>100</max_concurrent_queries>
            <!-- Idle keep-alive connections hold up a shutdown; close them quickly. -->
            <keep_alive_timeout>1</keep_alive_timeout>
          </yandex>
          """
              .formatted(d, httpPort, tcpPort, interserverPort));
      Files.writeString(
          dir.resolve("users.xml"),
          """
          <?xml version="1.0"?>
          <yandex>
            <profiles>
              <default>
                <max_memory_usage>4000000000</max_memory_usage>
              </default>
            </profiles>
            <users>
              <default>
                <password></password>
                <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
                <profile>default</profile>
                <quota>default</quota>
              </default>
            </users>
            <quotas>
              <default>
                <interval>
                  <duration>3600</duration>
                  <queries>0</queries>
                  <errors>0</errors>
                  <result_rows>0</result_rows>
                  <read_rows>0</read_rows>
                  <execution_time>0</execution_time>
                </interval>
              </default>
            </quotas>
          </yandex>
          """);
      // The product's users (sink, grafana, analyst), merged by the server from users.d/.
      Files.createDirectories(dir.resolve("users.d"));
      try (InputStream users =
          ClickHouseServer.class.getResourceAsStream(ClickHouseUser.USERS_FILE)) {
        if (users == null) {
          throw new IllegalStateException(
              ClickHouseUser.USERS_FILE + " is missing from the classpath");
        }
        Files.copy(
            users, dir.resolve("users.d/kai-users.xml"), StandardCopyOption.REPLACE_EXISTING);
      }
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ClickHouse config under " + dir, e);
    }
  }

  public int httpPort() {
    return httpPort;
  }

  @Override
  public int tcpPort() {
    return tcpPort;
  }

  /** Base URL of the HTTP interface. */
  @Override
  public String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** True when the server answers /ping. */
  @Override
  public boolean ping() {
    return get("/ping").startsWith("Ok.");
  }

  @Override
  public String version() {
    return get("/?query=SELECT%20version()").trim();
  }

  private String get(String path) {
    // A fresh client per call: an idle keep-alive connection would hold up the server's shutdown.
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(httpUrl() + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
