package kai.telemetry.stack;

/** A ClickHouse server of the stack: the distribution's binary, or a container. */
public interface ClickHouseEndpoint extends AutoCloseable {
  /** Base URL of the HTTP interface. */
  String httpUrl();

  /** JDBC URL for com.clickhouse:clickhouse-jdbc (v2) over HTTP. */
  default String jdbcUrl() {
    return "jdbc:clickhouse:" + httpUrl();
  }

  /** Native protocol port (clickhouse-client). */
  int tcpPort();

  /** True when the server answers /ping. */
  boolean ping();

  String version();

  /** Takes the server away (an outage); {@link #restart()} brings it back at the same address. */
  void stop();

  void restart();
}
