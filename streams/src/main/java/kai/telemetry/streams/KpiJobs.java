package kai.telemetry.streams;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every KPI job does around its topology: start, log, stop on failure or shutdown. */
public final class KpiJobs {
  private static final Logger log = LoggerFactory.getLogger(KpiJobs.class);

  private KpiJobs() {}

  /** Starts {@code topology} as job {@code name}; the caller closes the returned instance. */
  public static KafkaStreams start(String name, Topology topology, Properties props) {
    KafkaStreams streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(
        e -> {
          log.error("{} failed; shutting it down", name, e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener((now, before) -> log.info("{} state {} -> {}", name, before, now));
    log.info("{} topology:\n{}", name, topology.describe());
    streams.start();
    return streams;
  }

  /**
   * Blocks until the JVM is asked to stop, then closes {@code streams} (flushing its state). If the
   * job fails instead (state ERROR), the process exits with status 1 so that its supervisor
   * (compose, systemd, Kubernetes) restarts it, rather than lingering alive and doing nothing.
   */
  public static void runUntilShutdown(String name, KafkaStreams streams, int metricsPort) {
    if (metricsPort >= 0) {
      var served =
          kai.telemetry.streams.support.JobMetrics.serve(
              name, streams::metrics, () -> streams.state().name(), metricsPort);
      log.info("{} metrics for Prometheus on port {} at /metrics", name, served.port());
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping {}", name);
                  if (streams.close(Duration.ofSeconds(30))) {
                    log.info("{} stopped: state and output committed", name);
                  } else {
                    log.warn("{} did not stop within 30 s; it resumes from its last commit", name);
                  }
                }));
    // The state listener is taken (logging, set before start), so the state is read here.
    try {
      while (streams.state() != KafkaStreams.State.ERROR) {
        Thread.sleep(500);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    log.error("{} stopped on an error (see above); exiting with status 1", name);
    System.exit(1);
  }
}
