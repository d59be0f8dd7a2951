package kai.telemetry.producers.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces simulated GPU samples for the program's teams to the raw GPU-samples topic, keyed by GPU
 * UUID (so each GPU's samples stay in order) with the sample's event time as record time.
 */
public final class GpuSampleSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GpuSampleSimulator.class);

  private final SimulatorConfig config;
  private final GpuFleetSimulator fleet;
  private final Topic<String, GpuSample> topic;
  private final KafkaProducer<String, GpuSample> producer;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;

  public GpuSampleSimulator(SimulatorConfig config) {
    this.config = config;
    ProgramFile program = ProgramFile.load(config.getString(SimulatorConfig.PROGRAM_FILE));
    this.fleet =
        new GpuFleetSimulator(
            program.activeTeams(),
            config.getInt(SimulatorConfig.GPUS_PER_TEAM),
            config.getLong(SimulatorConfig.SEED));
    this.topic = Topics.withPrefix(config.getString(CommonSettings.TOPIC_PREFIX)).gpuSamples;
    Serde<GpuSample> valueSerde = topic.valueSerde(config.serdeConfig());
    this.producer =
        new KafkaProducer<>(
            config.producerConfig(),
            topic.keySerde(config.serdeConfig()).serializer(),
            valueSerde.serializer());
    log.info(
        "simulating {} GPUs of {} teams every {} ms into {}",
        fleet.gpus().size(),
        program.activeTeams().size(),
        config.getLong(SimulatorConfig.INTERVAL_MS),
        topic.name());
  }

  public GpuFleetSimulator fleet() {
    return fleet;
  }

  public long sent() {
    return sent.get();
  }

  /** Generates ticks {@code 0..ticks-1} stamped from {@code startMs}, as fast as possible. */
  public long backfill(long startMs, long ticks) {
    long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
    long lastReport = System.nanoTime();
    for (long t = 0; t < ticks && running; t++) {
      send(fleet.tick(t, startMs + t * interval));
      if (System.nanoTime() - lastReport > 2_000_000_000L || t == ticks - 1) {
        lastReport = System.nanoTime();
        log.info(
            "backfill {}% ({} of {} ticks, {} samples, up to {})",
            (t + 1) * 100 / ticks,
            t + 1,
            ticks,
            sent.get(),
            Instant.ofEpochMilli(startMs + t * interval));
      }
    }
    producer.flush();
    throwIfSendFailed();
    return sent.get();
  }

  /** One tick per interval stamped with the wall clock, until {@link #stop()}. */
  public void runRealtime() {
    long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
    long tick = 0;
    try {
      while (running) {
        long now = System.currentTimeMillis();
        send(fleet.tick(tick++, now));
        producer.flush();
        throwIfSendFailed();
        long next = now + interval;
        while (running && System.currentTimeMillis() < next) {
          stopped.await(
              Math.max(1, next - System.currentTimeMillis()),
              java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(List<GpuSample> samples) {
    for (GpuSample s : samples) {
      producer.send(
          new ProducerRecord<>(topic.name(), null, s.getTsMs(), s.getGpuUuid(), s),
          (meta, e) -> {
            if (e != null) {
              sendFailure.compareAndSet(null, e);
            } else {
              sent.incrementAndGet();
            }
          });
    }
  }

  private void throwIfSendFailed() {
    Exception e = sendFailure.get();
    if (e != null) {
      throw new IllegalStateException(
          "producing to " + topic.name() + " failed: " + e.getMessage(), e);
    }
  }

  public void stop() {
    running = false;
    stopped.countDown();
  }

  @Override
  public void close() {
    stop();
    producer.close(Duration.ofSeconds(10));
    log.info("simulator stopped after {} samples", sent.get());
  }

  public static void main(String[] args) {
    SimulatorConfig config = SimulatorConfig.fromArgs(args);
    try (GpuSampleSimulator sim = new GpuSampleSimulator(config)) {
      Thread main = Thread.currentThread();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    sim.stop();
                    try {
                      main.join(15_000);
                    } catch (InterruptedException ignored) {
                      Thread.currentThread().interrupt();
                    }
                  }));
      if (config.getString(SimulatorConfig.MODE).equals("backfill")) {
        long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
        long minutes = config.getInt(SimulatorConfig.BACKFILL_MINUTES);
        long ticks = Duration.ofMinutes(minutes).toMillis() / interval;
        long start = System.currentTimeMillis() - ticks * interval;
        sim.backfill(start, ticks);
      } else {
        sim.runRealtime();
      }
    }
  }
}
