package kai.telemetry.sinks.clickhouse;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long ClickHouse keeps raw rows, and the sweep that enforces it: high-volume raw tables are
 * partitioned by month ({@code toYYYYMM(event_time)}), and a month is dropped whole once its last
 * day is older than the table's retention, so a table keeps between N days and N days plus a month.
 * Table TTLs would do this per row, but ClickHouse 18.16 has none; dropping partitions works on
 * every version. KPI tables, results, reference data and training steps (the curves teams compare)
 * are kept for good.
 */
public final class Retention {
  /** Tables with a retention, and its default in days; 0 keeps everything. */
  public static final Map<String, Integer> DEFAULT_DAYS =
      Map.of(Tables.GPU_SAMPLES, 180, Tables.COLLECTOR_REJECTS, 90);

  private Retention() {}

  /**
   * Drops the months of each table in {@code days} that ended more than its retention before {@code
   * today}; returns what was dropped, as {@code table partition}.
   */
  public static List<String> sweep(
      Migrations.Executor db, String database, Map<String, Integer> days, LocalDate today) {
    Tables.identifier(database);
    List<String> dropped = new ArrayList<>();
    for (Map.Entry<String, Integer> e : new LinkedHashMap<>(days).entrySet()) {
      String table = Tables.identifier(e.getKey());
      if (e.getValue() <= 0) {
        continue;
      }
      LocalDate keepFrom = today.minusDays(e.getValue());
      String partitions =
          db.run(
              "SELECT DISTINCT partition FROM system.parts WHERE database = '"
                  + database
                  + "' AND table = '"
                  + table
                  + "' AND active ORDER BY partition FORMAT TabSeparated");
      for (String p : partitions.lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
        if (!p.matches("\\d{6}")) {
          continue; // not a month partition: not ours to drop
        }
        YearMonth month =
            YearMonth.of(Integer.parseInt(p.substring(0, 4)), Integer.parseInt(p.substring(4)));
        if (month.atEndOfMonth().isBefore(keepFrom)) {
          db.run("ALTER TABLE " + Tables.qualified(database, table) + " DROP PARTITION " + p);
          dropped.add(table + " " + p);
        }
      }
    }
    return dropped;
  }

  /** Today in UTC, the zone of the tables' event_time. */
  public static LocalDate today() {
    return LocalDate.now(ZoneOffset.UTC);
  }
}
