package kai.telemetry.streams;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
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
          log.error("{} KPI job failed; shutting it down", name, e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(
        (now, before) -> log.info("{} KPI job state {} -> {}", name, before, now));
    log.info("{} KPI job topology:\n{}", name, topology.describe());
    streams.start();
    return streams;
  }

  /** Blocks until the JVM is asked to stop, then closes {@code streams} (flushing its state). */
  public static void runUntilShutdown(String name, KafkaStreams streams) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping the {} KPI job", name);
                  streams.close(Duration.ofSeconds(30));
                  done.countDown();
                }));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
