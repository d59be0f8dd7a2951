package kai.telemetry.producers.simulator;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.program.Team;
import kai.telemetry.schemas.TeamTopics;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulates the teams of a program file (demo data): per tick the GPU samples of every team's fleet
 * (keyed by GPU UUID), and each team's training run (steps, lifecycle events, benchmark results;
 * keyed by team/run so a run's events stay in order), each into that team's intake as the team
 * would (official results, as the program office would, to the attributed topic). The event time is
 * the record time.
 */
public final class ProgramSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProgramSimulator.class);

  private final SimulatorConfig config;
  private final ProgramFile program;
  private final GpuFleetSimulator fleet;
  private final Map<String, TrainingRunSimulator> runs = new java.util.LinkedHashMap<>();
  private final Topics topics;
  private final Map<String, TeamTopics> intakes = new HashMap<>();
  private final KafkaProducer<String, SpecificRecord> producer;
  private final AtomicLong gpuSamplesSent = new AtomicLong();
  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private long tick;

  public ProgramSimulator(SimulatorConfig config) {
    this.config = config;
    this.program = ProgramFile.load(config.getString(SimulatorConfig.PROGRAM_FILE));
    long seed = config.getLong(SimulatorConfig.SEED);
    int gpusPerTeam = config.getInt(SimulatorConfig.GPUS_PER_TEAM);
    List<Team> teams = program.activeTeams();
    this.fleet = new GpuFleetSimulator(teams, gpusPerTeam, seed);
    for (int i = 0; i < teams.size(); i++) {
      Team t = teams.get(i);
      runs.put(
          t.id(),
          new TrainingRunSimulator(
              t,
              i,
              Math.min(gpusPerTeam, t.gpuAllocation()),
              config.getLong(SimulatorConfig.INTERVAL_MS),
              program.benchmarks(),
              seed,
              config.getList(SimulatorConfig.OVERCLAIM_TEAMS).contains(t.id()) ? 3.0 : 1.0));
    }
    this.topics = Topics.withPrefix(config.getString(CommonSettings.TOPIC_PREFIX));
    AvroSerializer<SpecificRecord> values = new AvroSerializer<>();
    values.configure(config.serdeConfig(), false);
    this.producer = new KafkaProducer<>(config.producerConfig(), new StringSerializer(), values);
    log.info(
        "simulating {} GPUs and {} training runs of {} teams every {} ms",
        fleet.gpus().size(),
        runs.size(),
        teams.size(),
        config.getLong(SimulatorConfig.INTERVAL_MS));
  }

  public GpuFleetSimulator fleet() {
    return fleet;
  }

  public ProgramFile program() {
    return program;
  }

  /** GPU samples acknowledged by the broker. */
  public long sent() {
    return gpuSamplesSent.get();
  }

  /** Other events (steps, lifecycle, benchmark results) acknowledged. */
  public long eventsSent() {
    return eventsSent.get();
  }

  /** One tick of the whole program, stamped {@code tsMs}. */
  public void tick(long tsMs) {
    long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
    Map<String, TrainingRunSimulator.Tick> states = new HashMap<>();
    List<SpecificRecord> runEvents = new ArrayList<>();
    for (Map.Entry<String, TrainingRunSimulator> e : runs.entrySet()) {
      TrainingRunSimulator.Tick t = e.getValue().tick(tsMs, interval);
      states.put(e.getKey(), t);
      runEvents.addAll(t.lifecycle());
      runEvents.addAll(t.steps());
      runEvents.addAll(t.scalars());
      runEvents.addAll(t.benchmarks());
    }
    for (GpuSample s : fleet.tick(tick, tsMs, states)) {
      send(intake(s.getTeam()).gpuSamples.name(), s.getGpuUuid(), s.getTsMs(), s, true);
    }
    for (SpecificRecord r : runEvents) {
      switch (r) {
        case TrainingStep s ->
            send(
                intake(s.getTeam()).trainingSteps.name(),
                EventPublisher.runKey(s.getTeam(), s.getRunId()),
                s.getTsMs(),
                s,
                false);
        case TrainingScalar s ->
            send(
                intake(s.getTeam()).trainingScalars.name(),
                EventPublisher.runKey(s.getTeam(), s.getRunId()),
                s.getTsMs(),
                s,
                false);
        case RunLifecycle l ->
            send(
                intake(l.getTeam()).runLifecycle.name(),
                EventPublisher.runKey(l.getTeam(), l.getRunId()),
                l.getTsMs(),
                l,
                false);
        case BenchmarkResult b ->
            send(intake(b.getTeam()).benchmarkResults.name(), b.getTeam(), b.getTsMs(), b, false);
        default -> throw new IllegalStateException("unexpected " + r.getClass());
      }
    }
    tick++;
  }

  /** Team {@code team}'s intake, where the simulator writes as that team. */
  private TeamTopics intake(String team) {
    return intakes.computeIfAbsent(team, topics::team);
  }

  /** Generates {@code ticks} ticks stamped from {@code startMs}, as fast as possible. */
  public long backfill(long startMs, long ticks) {
    long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
    Progress progress = new Progress(ticks);
    for (long t = 0; t < ticks && running; t++) {
      tick(startMs + t * interval);
      progress.update(t + 1, startMs + t * interval);
    }
    producer.flush();
    progress.done();
    throwIfSendFailed();
    return gpuSamplesSent.get();
  }

  /** One tick per interval stamped with the wall clock, until {@link #stop()}. */
  public void runRealtime() {
    long interval = config.getLong(SimulatorConfig.INTERVAL_MS);
    try {
      while (running) {
        long now = System.currentTimeMillis();
        tick(now);
        producer.flush();
        throwIfSendFailed();
        stopped.await(
            Math.max(1, now + interval - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(String topic, String key, long ts, SpecificRecord value, boolean gpuSample) {
    producer.send(
        new ProducerRecord<>(topic, null, ts, key, value),
        (meta, e) -> {
          if (e != null) {
            sendFailure.compareAndSet(null, e);
          } else if (gpuSample) {
            gpuSamplesSent.incrementAndGet();
          } else {
            eventsSent.incrementAndGet();
          }
        });
  }

  private void throwIfSendFailed() {
    Exception e = sendFailure.get();
    if (e != null) {
      throw new IllegalStateException("producing failed: " + e.getMessage(), e);
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
    log.info(
        "simulator stopped after {} GPU samples and {} other events",
        gpuSamplesSent.get(),
        eventsSent.get());
  }

  /** Backfill progress: a bar on a terminal, a log line every few seconds otherwise. */
  private final class Progress {
    private final long total;
    private final boolean terminal = System.console() != null;
    private final PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    private final long startNs = System.nanoTime();
    private long lastNs;

    Progress(long total) {
      this.total = total;
    }

    void update(long done, long tsMs) {
      long now = System.nanoTime();
      if (now - lastNs < (terminal ? 200_000_000L : 5_000_000_000L) && done < total) {
        return;
      }
      lastNs = now;
      int pct = (int) (done * 100 / Math.max(1, total));
      double secs = (now - startNs) / 1e9;
      String text =
          String.format(
              "backfill %3d%% %s %,d/%,d ticks, %,d GPU samples, %,.0f samples/s, at %s",
              pct,
              bar(pct),
              done,
              total,
              gpuSamplesSent.get(),
              gpuSamplesSent.get() / Math.max(secs, 1e-3),
              Instant.ofEpochMilli(tsMs));
      if (terminal) {
        err.print("\r" + text);
      } else {
        log.info(text);
      }
    }

    void done() {
      if (terminal) {
        err.println();
      }
    }

    private String bar(int pct) {
      int filled = pct / 5;
      return "[" + "#".repeat(filled) + " ".repeat(20 - filled) + "]";
    }
  }

  public static void main(String[] args) {
    SimulatorConfig config = SimulatorConfig.fromArgs(args);
    try (ProgramSimulator sim = new ProgramSimulator(config)) {
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
        long ticks =
            Duration.ofMinutes(config.getInt(SimulatorConfig.BACKFILL_MINUTES)).toMillis()
                / interval;
        sim.backfill(System.currentTimeMillis() - ticks * interval, ticks);
      } else {
        sim.runRealtime();
      }
    }
  }
}
