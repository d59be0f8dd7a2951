package kai.telemetry.streams.support;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts, per team, the records a windowed KPI drops because they arrive after their window's grace
 * period: a Streams sensor per team ({@code <operation>-total} and {@code -rate}, group {@code
 * stream-<scope>-metrics}, tags {@code <scope>-id=<task>:<team>} and {@code team}), and a warning
 * per minute naming each team that lost records and how many, so a source with a skewed clock or a
 * backlog is seen by the operator and by the team, not only as a task-wide total.
 */
public final class LateByTeam {
  private static final Logger log = LoggerFactory.getLogger(LateByTeam.class);

  /** More teams than any program has: beyond it, drops count under "other" (ids are checked). */
  static final int MAX_TEAMS = 256;

  private static final long LOG_EVERY_MS = 60_000;

  private final StreamsMetrics metrics;
  private final String scope;
  private final String task;
  private final String operation;
  private final Map<String, Sensor> sensors = new HashMap<>();
  private final Map<String, Long> sinceLog = new TreeMap<>();
  private long lastLogMs = System.currentTimeMillis();

  public LateByTeam(StreamsMetrics metrics, String scope, String task, String operation) {
    this.metrics = metrics;
    this.scope = scope;
    this.task = task;
    this.operation = operation;
  }

  /**
   * Whether a record of {@code team} at {@code tsMs} is too late for its window (its window, of
   * {@code sizeMs} starting at a multiple of it, closed more than {@code graceMs} before stream
   * time); counts it if so.
   */
  public boolean late(String team, long tsMs, long sizeMs, long graceMs, long streamTimeMs) {
    long start = tsMs - Math.floorMod(tsMs, sizeMs);
    if (start + sizeMs + graceMs > streamTimeMs) {
      return false;
    }
    String t = sensors.containsKey(team) || sensors.size() < MAX_TEAMS ? team : "other";
    sensors
        .computeIfAbsent(
            t,
            k ->
                metrics.addRateTotalSensor(
                    scope, task + ":" + k, operation, Sensor.RecordingLevel.INFO, "team", k))
        .record();
    sinceLog.merge(t, 1L, Long::sum);
    long now = System.currentTimeMillis();
    if (now - lastLogMs >= LOG_EVERY_MS) {
      flushLog(now);
    }
    return true;
  }

  private void flushLog(long now) {
    if (!sinceLog.isEmpty()) {
      log.warn(
          "task {}: records dropped as later than their window's grace period ({}), by team: {}",
          task,
          operation,
          sinceLog);
      sinceLog.clear();
    }
    lastLogMs = now;
  }

  /** Logs what is still uncounted in the log (at close). */
  public void close() {
    flushLog(System.currentTimeMillis());
  }

  /** Drops counted for {@code team} by this task so far (for tests). */
  public double total(String team) {
    Sensor s = sensors.get(team);
    if (s == null) {
      return 0;
    }
    return metrics.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals(operation + "-total"))
        .filter(e -> team.equals(e.getKey().tags().get("team")))
        .filter(e -> (task + ":" + team).equals(e.getKey().tags().get(scope + "-id")))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }
}
