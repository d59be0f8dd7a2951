package kai.telemetry.devtools;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.Tables;

/** The terminal view of the local run: per-team fleet figures as ClickHouse holds them. */
final class LiveFigures {
  private static final DateTimeFormatter HH_MM =
      DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter HH_MM_SS =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final ClickHouseHttp ch;
  private final String kpiTable;
  private final String rawTable;
  private final String alertsTable;

  LiveFigures(ClickHouseHttp ch, String database) {
    this.ch = ch;
    this.kpiTable = Tables.qualified(database, Tables.TEAM_FLEET_1M);
    this.rawTable = Tables.qualified(database, Tables.GPU_SAMPLES);
    this.alertsTable = Tables.qualified(database, Tables.ALERTS);
  }

  String render(
      long produced, PipelineRunner pipeline, org.apache.kafka.clients.admin.Admin admin) {
    long now = System.currentTimeMillis();
    long landed =
        ch.count("SELECT count() FROM " + rawTable + " WHERE ts_ms >= " + (now - 3_600_000));
    // The newest minute window of each team, and the one before it (complete).
    List<JsonNode> rows =
        ch.rows(
            "SELECT team, window_start_ms, gpus_reporting, utilization_mean_pct, samples FROM "
                + kpiTable
                + " FINAL WHERE window_start_ms >= "
                + (now - 10 * 60_000)
                + " ORDER BY team, window_start_ms DESC LIMIT 2 BY team");
    // Each team's newest fleet minute, however old: how far behind the clock its KPIs are.
    java.util.Map<String, Long> behind = new java.util.TreeMap<>();
    for (JsonNode r :
        ch.rows(
            "SELECT team, max(window_end_ms) AS newest FROM "
                + kpiTable
                + " GROUP BY team ORDER BY team")) {
      behind.put(r.get("team").asText(), Math.max(0, now - r.get("newest").asLong()));
    }
    PipelineHealth.Report health =
        PipelineHealth.judge(
            pipeline.healthy(), PipelineHealth.lag(admin, pipeline.stages()), behind);
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "%s UTC  samples produced %,d  | raw rows in ClickHouse (last hour) %,d  | pipeline %s%n",
            HH_MM_SS.format(Instant.ofEpochMilli(now)),
            produced,
            landed,
            health.healthy() ? "healthy" : "DEGRADED: " + String.join("; ", health.problems())));
    StringBuilder lags = new StringBuilder("  lag (records):");
    health.lag().forEach((stage, n) -> lags.append(String.format(" %s %,d", stage, n)));
    sb.append(lags).append('\n');
    sb.append(
        String.format("  %-16s %-7s %6s %8s %8s%n", "team", "minute", "GPUs", "util %", "samples"));
    for (JsonNode r : rows) {
      sb.append(
          String.format(
              "  %-16s %-7s %6d %8.1f %8d%n",
              r.get("team").asText(),
              HH_MM.format(Instant.ofEpochMilli(r.get("window_start_ms").asLong())),
              r.get("gpus_reporting").asInt(),
              r.get("utilization_mean_pct").asDouble(),
              r.get("samples").asLong()));
    }
    long openAlerts =
        ch.count("SELECT count() FROM " + alertsTable + " FINAL WHERE state = 'OPEN'");
    sb.append(String.format("  open alerts: %d%n", openAlerts));
    if (rows.isEmpty()) {
      sb.append("  (no KPI rows yet: the first minute window appears within seconds)\n");
    }
    sb.append('\n');
    return sb.toString();
  }
}
