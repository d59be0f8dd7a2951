package kai.telemetry.streams.support;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * A KPI job's health for Prometheus, at {@code http://host:port/metrics}, read from its Kafka
 * Streams client at each scrape:
 *
 * <ul>
 *   <li>{@code kai_job_up}: 1 while the client runs (or rebalances), 0 otherwise;
 *   <li>{@code kai_job_consumer_lag_records{topic,partition}}: records not yet read, per input
 *       partition this instance owns;
 *   <li>{@code kai_job_event_age_ms{node,stat}}: how old, in wall-clock time, the records were when
 *       they reached each source and output node ({@code stat} max or avg, the worst task): at an
 *       output node this is the KPI's freshness;
 *   <li>{@code kai_job_late_dropped_records{team,counter}}: records dropped as later than their
 *       window's grace period, per team, since the job started ({@link LateByTeam}).
 * </ul>
 *
 * Every series carries the label {@code kai_job} (the job's name).
 */
public final class JobMetrics implements AutoCloseable {
  private final HTTPServer server;

  private JobMetrics(HTTPServer server) {
    this.server = server;
  }

  /** Serves {@code job}'s metrics on {@code port} (0: any free port). */
  public static JobMetrics serve(
      String job,
      Supplier<Map<MetricName, ? extends Metric>> metrics,
      Supplier<String> state,
      int port) {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register((MultiCollector) () -> snapshot(job, metrics.get(), state.get()));
    try {
      return new JobMetrics(HTTPServer.builder().port(port).registry(registry).buildAndStart());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve " + job + " metrics on port " + port, e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** The job's metrics now, from its Streams client's. */
  public static MetricSnapshots snapshot(
      String job, Map<MetricName, ? extends Metric> metrics, String state) {
    Map<String, Double> lag = new TreeMap<>();
    Map<String, Double> age = new TreeMap<>();
    Map<String, Double> late = new TreeMap<>();
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      MetricName n = e.getKey();
      if (!(e.getValue().metricValue() instanceof Number number)) {
        continue;
      }
      double v = number.doubleValue();
      if (Double.isNaN(v) || Double.isInfinite(v)) {
        continue; // not measured yet
      }
      Map<String, String> tags = n.tags();
      if (n.name().equals("records-lag")
          && n.group().equals("consumer-fetch-manager-metrics")
          && tags.containsKey("partition")) {
        lag.merge(tags.get("topic") + "\u0000" + tags.get("partition"), v, Math::max);
      } else if (n.name().startsWith("record-e2e-latency-")
          && n.group().equals("stream-processor-node-metrics")
          && !n.name().endsWith("-min")) {
        String stat = n.name().substring("record-e2e-latency-".length());
        age.merge(tags.get("processor-node-id") + "\u0000" + stat, v, Math::max);
      } else if (tags.containsKey("team") && n.name().endsWith("-total")) {
        String counter = n.name().substring(0, n.name().length() - "-total".length());
        late.merge(tags.get("team") + "\u0000" + counter, v, Double::sum);
      }
    }
    boolean up = "RUNNING".equals(state) || "REBALANCING".equals(state);
    return MetricSnapshots.of(
        gauge(
            "kai_job_up",
            "1 while the job's Streams client runs",
            job,
            Map.of("", up ? 1.0 : 0.0),
            null),
        gauge(
            "kai_job_consumer_lag_records",
            "Records of each input partition not yet read",
            job,
            lag,
            new String[] {"topic", "partition"}),
        gauge(
            "kai_job_event_age_ms",
            "Wall-clock age of the records reaching each source and output node (worst task)",
            job,
            age,
            new String[] {"node", "stat"}),
        gauge(
            "kai_job_late_dropped_records",
            "Records dropped as later than their window's grace period, by team",
            job,
            late,
            new String[] {"team", "counter"}));
  }

  private static GaugeSnapshot gauge(
      String name, String help, String job, Map<String, Double> values, String[] labels) {
    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
    values.forEach(
        (key, v) -> {
          Labels l = Labels.of("kai_job", job); // "job" is Prometheus' own label
          if (labels != null) {
            String[] parts = key.split("\u0000", -1);
            for (int i = 0; i < labels.length; i++) {
              l = l.add(labels[i], i < parts.length ? parts[i] : "");
            }
          }
          b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(l).value(v).build());
        });
    return b.build();
  }

  @Override
  public void close() {
    server.close();
  }
}
