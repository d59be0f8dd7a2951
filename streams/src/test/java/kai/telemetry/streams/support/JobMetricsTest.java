package kai.telemetry.streams.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.Metrics;
import org.junit.jupiter.api.Test;

/** A job's Prometheus endpoint, from metrics named as Kafka Streams and its consumer name them. */
class JobMetricsTest {
  @Test
  void lagEventAgeAndLateDropsPerTeamAreServed() throws Exception {
    try (Metrics m = new Metrics()) {
      gauge(
          m,
          "records-lag",
          "consumer-fetch-manager-metrics",
          Map.of("client-id", "c1", "topic", "kai.raw.gpu-samples.v1", "partition", "3"),
          1234.0);
      gauge(
          m,
          "records-lag",
          "consumer-fetch-manager-metrics",
          Map.of("client-id", "c1", "topic", "kai.raw.gpu-samples.v1", "partition", "4"),
          Double.NaN);
      gauge(
          m,
          "record-e2e-latency-max",
          "stream-processor-node-metrics",
          Map.of("thread-id", "t", "task-id", "0_1", "processor-node-id", "team-minute-sink"),
          2500.0);
      gauge(
          m,
          "record-e2e-latency-max",
          "stream-processor-node-metrics",
          Map.of("thread-id", "t", "task-id", "0_2", "processor-node-id", "team-minute-sink"),
          900.0);
      gauge(
          m,
          "late-sample-dropped-by-team-total",
          "stream-kai-fleet-metrics",
          Map.of("kai-fleet-id", "0_1:nc-ai", "team", "nc-ai"),
          3.0);
      gauge(
          m,
          "late-sample-dropped-by-team-total",
          "stream-kai-fleet-metrics",
          Map.of("kai-fleet-id", "0_2:nc-ai", "team", "nc-ai"),
          2.0);
      try (JobMetrics served = JobMetrics.serve("fleet-kpi-job", m::metrics, () -> "RUNNING", 0)) {
        String body =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + served.port() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(body)
            .contains("kai_job_up{kai_job=\"fleet-kpi-job\"} 1.0")
            .contains(
                "kai_job_consumer_lag_records{kai_job=\"fleet-kpi-job\",partition=\"3\","
                    + "topic=\"kai.raw.gpu-samples.v1\"} 1234.0")
            .doesNotContain("partition=\"4\"") // not measured yet: no value, not 0
            .contains(
                "kai_job_event_age_ms{kai_job=\"fleet-kpi-job\",node=\"team-minute-sink\","
                    + "stat=\"max\"} 2500.0") // the worst task
            .contains(
                "kai_job_late_dropped_records{counter=\"late-sample-dropped-by-team\","
                    + "kai_job=\"fleet-kpi-job\",team=\"nc-ai\"} 5.0"); // summed over tasks
      }
      var up =
          JobMetrics.snapshot("j", m.metrics(), "ERROR").stream()
              .filter(x -> x.getMetadata().getName().equals("kai_job_up"))
              .findFirst()
              .orElseThrow();
      assertThat(
              ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot)
                      up.getDataPoints().get(0))
                  .getValue())
          .isZero(); // a failed client is down
    }
  }

  private static void gauge(
      Metrics m, String name, String group, Map<String, String> tags, double v) {
    m.addMetric(m.metricName(name, group, tags), (Gauge<Double>) (config, now) -> v);
  }
}
