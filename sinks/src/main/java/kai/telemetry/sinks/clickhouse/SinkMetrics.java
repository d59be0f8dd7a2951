package kai.telemetry.sinks.clickhouse;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sink's own metrics, in a registry of its own (several sinks may share a JVM), optionally
 * served for Prometheus at {@code http://host:port/metrics}: records in and dead-lettered per
 * topic, rows written per table, insert retries, flushes and their duration, consumer lag per
 * partition.
 */
public final class SinkMetrics implements AutoCloseable {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final AtomicLong recordsIn = new AtomicLong();
  private final AtomicLong rowsWritten = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong flushes = new AtomicLong();
  private final Counter recordsInByTopic =
      Counter.builder()
          .name("kai_sink_records_in_total")
          .help("Records read from Kafka")
          .labelNames("topic")
          .register(registry);
  private final Counter rowsByTable =
      Counter.builder()
          .name("kai_sink_rows_written_total")
          .help("Rows acknowledged by ClickHouse")
          .labelNames("table")
          .register(registry);
  private final Counter retriesTotal =
      Counter.builder()
          .name("kai_sink_insert_retries_total")
          .help("Inserts retried after a retriable failure")
          .register(registry);
  private final Counter deadLetteredByTopic =
      Counter.builder()
          .name("kai_sink_dead_lettered_total")
          .help("Records sent to the dead-letter topic")
          .labelNames("topic")
          .register(registry);
  private final Histogram flushSeconds =
      Histogram.builder()
          .name("kai_sink_flush_seconds")
          .help("Duration of a flush: inserts, dead letters, offset commit")
          .register(registry);
  private final Gauge lag =
      Gauge.builder()
          .name("kai_sink_consumer_lag_records")
          .help("Records in a partition not yet read by the sink")
          .labelNames("topic", "partition")
          .register(registry);
  private final Gauge buffered =
      Gauge.builder()
          .name("kai_sink_buffered_rows")
          .help("Rows read and not yet written")
          .register(registry);
  private HTTPServer server;

  /** Serves the metrics on {@code port} (0: any free port); returns the port bound. */
  public synchronized int serve(int port) {
    try {
      server = HTTPServer.builder().port(port).registry(registry).buildAndStart();
      return server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve sink metrics on port " + port, e);
    }
  }

  /** The port metrics are served on, or -1. */
  public synchronized int port() {
    return server == null ? -1 : server.getPort();
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  void recordsIn(String topic, int count) {
    recordsIn.addAndGet(count);
    recordsInByTopic.labelValues(topic).inc(count);
  }

  void rowsWritten(String table, int rows) {
    rowsWritten.addAndGet(rows);
    rowsByTable.labelValues(table).inc(rows);
  }

  void retried() {
    retries.incrementAndGet();
    retriesTotal.inc();
  }

  void deadLettered(String topic) {
    deadLettered.incrementAndGet();
    deadLetteredByTopic.labelValues(topic).inc();
  }

  void flushed(long nanos) {
    flushes.incrementAndGet();
    flushSeconds.observe(nanos / 1e9);
  }

  void lag(String topic, int partition, long records) {
    lag.labelValues(topic, Integer.toString(partition)).set(records);
  }

  void buffered(int rows) {
    buffered.set(rows);
  }

  public long recordsIn() {
    return recordsIn.get();
  }

  public long rowsWritten() {
    return rowsWritten.get();
  }

  public long retries() {
    return retries.get();
  }

  public long deadLettered() {
    return deadLettered.get();
  }

  public long flushes() {
    return flushes.get();
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public String toString() {
    return "records in "
        + recordsIn
        + ", rows written "
        + rowsWritten
        + ", retries "
        + retries
        + ", dead-lettered "
        + deadLettered
        + ", flushes "
        + flushes;
  }
}
