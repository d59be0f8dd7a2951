package kai.telemetry.stack;

/**
 * The production images, pinned: docker-compose.yml runs them and the container stack of the
 * integration suite (Maven profile {@code containers}) starts them. A test holds the compose file
 * to these.
 */
public final class StackImages {
  public static final String KAFKA = "apache/kafka:4.1.0";
  public static final String SCHEMA_REGISTRY = "confluentinc/cp-schema-registry:7.7.1";
  public static final String CLICKHOUSE = "clickhouse/clickhouse-server:25.3";
  public static final String GRAFANA = "grafana/grafana:11.2.2";

  private StackImages() {}
}
