package kai.telemetry.stack;

/**
 * The product's ClickHouse users as defined in {@code clickhouse/users.d/kai-users.xml} (the file
 * the local server loads and docker-compose mounts), with their local default passwords.
 */
public enum ClickHouseUser {
  /** Applies migrations and writes; only database {@link #DATABASE}. */
  SINK("kai_sink", "kai-sink-local"),
  /** Dashboards: read-only, only database {@link #DATABASE}. */
  GRAFANA("grafana", "grafana-local"),
  /** SQL over history: read-only, only database {@link #DATABASE}. */
  ANALYST("analyst", "analyst-local");

  /** The product's database; the users above are confined to it. */
  public static final String DATABASE = "kai";

  /** Classpath location of the users file, also the path under local-stack's resources. */
  public static final String USERS_FILE = "/clickhouse/users.d/kai-users.xml";

  private final String user;
  private final String localPassword;

  ClickHouseUser(String user, String localPassword) {
    this.user = user;
    this.localPassword = localPassword;
  }

  public String user() {
    return user;
  }

  /** The local default password (replace it in production). */
  public String localPassword() {
    return localPassword;
  }
}
