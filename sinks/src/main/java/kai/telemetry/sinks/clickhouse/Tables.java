package kai.telemetry.sinks.clickhouse;

import java.util.List;
import java.util.regex.Pattern;

/** ClickHouse table names: the one place they are spelled. Column names follow the Avro fields. */
public final class Tables {
  public static final String GPU_SAMPLES = "gpu_samples";
  public static final String TEAM_FLEET_1M = "team_fleet_1m";
  public static final String CLUSTER_FLEET_1M = "cluster_fleet_1m";
  public static final String RUN_1M = "run_1m";
  public static final String BENCHMARK_STANDINGS = "benchmark_standings";
  public static final String PHASE_SCOREBOARD = "phase_scoreboard";
  public static final String PHASE_STANDINGS = "phase_standings";
  public static final String ALERTS = "alerts";
  public static final String TRAINING_STEPS = "training_steps";
  public static final String TRAINING_SCALARS = "training_scalars";
  public static final String RUN_LIFECYCLE = "run_lifecycle";
  public static final String BENCHMARK_RESULTS = "benchmark_results";
  public static final String EVALUATION_SCORES = "evaluation_scores";
  public static final String DERIVATIVE_MODELS = "derivative_models";
  public static final String TEAMS = "teams";
  public static final String BENCHMARKS = "benchmarks";
  public static final String EVALUATION_RULES = "evaluation_rules";
  public static final String COLLECTOR_REJECTS = "collector_rejects";
  public static final String SCHEMA_MIGRATIONS = "schema_migrations";

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  private Tables() {}

  /** Returns {@code name} if it is a plain identifier; refuses anything that could alter SQL. */
  public static String identifier(String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "'"
              + name
              + "' is not a valid ClickHouse identifier (letters, digits, '_', not starting with a digit)");
    }
    return name;
  }

  /** {@code INSERT INTO db.table (c1, c2, ...)}, every name validated. */
  public static String insertInto(String database, String table, List<String> columns) {
    StringBuilder sql =
        new StringBuilder("INSERT INTO ").append(qualified(database, table)).append(" (");
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(identifier(columns.get(i)));
    }
    return sql.append(')').toString();
  }

  /** {@code db.table}, both validated. */
  public static String qualified(String database, String table) {
    return identifier(database) + "." + identifier(table);
  }
}
