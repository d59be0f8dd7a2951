package kai.telemetry.dashboards;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Expands the grafana-clickhouse-datasource macros and template variables in a panel's SQL the way
 * the plugin does, so the SQL can be executed outside Grafana.
 */
public final class GrafanaSql {
  private static final Pattern TIME_FILTER = Pattern.compile("\\$__timeFilter\\(([^)]+)\\)");
  private static final Pattern TIME_FILTER_MS = Pattern.compile("\\$__timeFilter_ms\\(([^)]+)\\)");
  private static final Pattern TIME_INTERVAL = Pattern.compile("\\$__timeInterval\\(([^)]+)\\)");
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{(\\w+)(?::(singlequote|csv|raw))?}|\\$(\\w+)");

  private GrafanaSql() {}

  /** Expands with the interval Grafana would pick for about 1,000 points over the range. */
  public static String expand(
      String sql, long fromMs, long toMs, Map<String, List<String>> variables) {
    long intervalSeconds = Math.max(1, (toMs - fromMs) / 1000 / 1000);
    String out =
        TIME_INTERVAL
            .matcher(sql)
            .replaceAll(
                m ->
                    Matcher.quoteReplacement(
                        "toStartOfInterval(toDateTime("
                            + m.group(1)
                            + "), INTERVAL "
                            + intervalSeconds
                            + " second)"));
    out = out.replace("$__interval_s", Long.toString(intervalSeconds));
    return expandFilters(out, fromMs, toMs, variables);
  }

  private static String expandFilters(
      String sql, long fromMs, long toMs, Map<String, List<String>> variables) {
    String out =
        TIME_FILTER_MS
            .matcher(sql)
            .replaceAll(
                m ->
                    Matcher.quoteReplacement(
                        m.group(1) + " >= " + fromMs + " AND " + m.group(1) + " <= " + toMs));
    out =
        TIME_FILTER
            .matcher(out)
            .replaceAll(
                m ->
                    Matcher.quoteReplacement(
                        m.group(1)
                            + " >= toDateTime("
                            + fromMs / 1000
                            + ") AND "
                            + m.group(1)
                            + " <= toDateTime("
                            + toMs / 1000
                            + ")"));
    out =
        out.replace("$__fromTime_ms", Long.toString(fromMs))
            .replace("$__toTime_ms", Long.toString(toMs));
    out =
        out.replace("$__fromTime", "toDateTime(" + fromMs / 1000 + ")")
            .replace("$__toTime", "toDateTime(" + toMs / 1000 + ")");
    Matcher m = VARIABLE.matcher(out);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(3);
      if (name.startsWith("__")) {
        m.appendReplacement(sb, Matcher.quoteReplacement(m.group()));
        continue;
      }
      List<String> values = variables.get(name);
      if (values == null) {
        throw new IllegalArgumentException("variable $" + name + " is used but not defined");
      }
      String format = m.group(2) == null ? "csv" : m.group(2);
      String replacement =
          switch (format) {
            case "singlequote" ->
                values.stream()
                    .map(v -> "'" + v.replace("'", "\\'") + "'")
                    .collect(Collectors.joining(","));
            default -> String.join(",", values);
          };
      m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** Names of the variables a SQL text uses. */
  public static List<String> variablesUsed(String sql) {
    Matcher m = VARIABLE.matcher(sql);
    List<String> names = new java.util.ArrayList<>();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(3);
      if (!name.startsWith("__")) {
        names.add(name);
      }
    }
    return names;
  }
}
