package kai.telemetry.devtools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kai.telemetry.devtools.PipelineRunner;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.program.Team;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The whole pipeline under a fixed offered load, as the ministry sees it: each team's GPUs send a
 * sample a second into the team's intake (stamped with the time sent), each team's run a step a
 * second, through the intake job, the four KPI jobs and the sink into ClickHouse. Every second it
 * measures freshness: for the current minute, how many samples ClickHouse can answer for (raw rows;
 * and counted in the teams' fleet minutes) against what had been sent by when, so the delay of the
 * newest sample reflected is read off the send times. Every five seconds it reads each stage's
 * consumer lag. At the end: landed against offered, lag first and last (flat or growing), freshness
 * percentiles, and CPU time and peak RSS of each process. {@code rates=a,b,c} ramps: each rate in
 * turn, reporting the highest with bounded lag.
 *
 * <p>Arguments: {@code rates=N[,N...]} samples/s (default 2000), {@code seconds=N} per rate
 * (default 120), {@code gpus.per.team=N} distinct GPUs at most (default 1,000, the launch
 * allocation; more raise the intake's {@code intake.gpu.floor} to take them); any other {@code
 * key=value} is a setting of the jobs or the sink (e.g. {@code commit.interval.ms=500}), printed
 * with the figures. Here the jobs, the sink, the broker and the load run in this JVM; the registry
 * and ClickHouse are processes of their own. CPU is also read per stage from this JVM's threads.
 * Exits 1 when a round landed no sample at all or its load stopped early (the registry not
 * answering, say).
 */
public final class EndToEndBenchmark {
  /**
   * The launch program's allocation per team: more distinct GPUs would be quarantined unless the
   * intake's floor is raised, which {@link #GPUS} does.
   */
  private static final int GPUS_PER_TEAM_MAX = 1_000;

  /** The most GPUs per team the intake can be told to take ({@code intake.gpu.floor}'s range). */
  private static final int GPUS_ANY_TEAM_MAX = 1_000_000;

  /** The argument for at most this many distinct GPUs per team. */
  private static final String GPUS = "gpus.per.team";

  private EndToEndBenchmark() {}

  /**
   * Per second of the run: freshness of raw rows, of the teams' fleet minutes and of the runs'
   * minutes, in ms (-1: not measured).
   */
  private record Probe(long atMs, long rawMs, long kpiMs, long runMs) {
    /** The three delays in seconds, "?" for one ClickHouse did not answer. */
    String seconds() {
      return Stream.of(rawMs, kpiMs, runMs)
          .map(ms -> ms < 0 ? "?" : String.format(Locale.ROOT, "%.1f", ms / 1000.0))
          .collect(Collectors.joining("/", "", " s"));
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    List<Integer> rates = new ArrayList<>();
    int seconds;
    int gpusPerTeam;
    try {
      for (String r : a.getOrDefault("rates", "2000").split(",")) {
        rates.add(positive("rates", r.strip()));
      }
      seconds = positive("seconds", a.getOrDefault("seconds", "120"));
      gpusPerTeam = positive(GPUS, a.getOrDefault(GPUS, String.valueOf(GPUS_PER_TEAM_MAX)));
      if (gpusPerTeam > GPUS_ANY_TEAM_MAX) { // the most intake.gpu.floor takes
        throw new IllegalArgumentException(
            GPUS + "=" + gpusPerTeam + " is more than " + GPUS_ANY_TEAM_MAX + " GPUs per team");
      }
    } catch (IllegalArgumentException e) {
      System.out.println("bench-e2e: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Any other key=value is a setting of the jobs or the sink, to measure it (checked there).
    Map<String, String> overrides = new java.util.TreeMap<>(a);
    overrides.remove("rates");
    overrides.remove("seconds");
    overrides.remove(GPUS);
    if (gpusPerTeam > GPUS_PER_TEAM_MAX
        && !overrides.containsKey(KpiStreamsConfig.INTAKE_GPU_FLOOR)) {
      // More GPUs than the launch allocation: let the intake take them all.
      overrides.put(KpiStreamsConfig.INTAKE_GPU_FLOOR, String.valueOf(gpusPerTeam));
    }
    try { // refuse an unknown setting before the stack starts, not after
      new PipelineRunner.Options("", "", Duration.ZERO, Path.of("."), 0, overrides);
    } catch (IllegalArgumentException e) {
      System.out.println("bench-e2e: " + e.getMessage());
      System.exit(2);
    }
    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench/e2e-" + ProcessHandle.current().pid());
    List<String> summary = new ArrayList<>();
    int highestBounded = -1;
    int failedRounds = 0;
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free());
        Admin admin = stack.kafka().admin();
        ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      // Stopped mid-run (Ctrl-C, SIGTERM): ClickHouse and the registry run in sessions of their
      // own, so stop them rather than leave them running.
      Thread stopStack =
          new Thread(
              () -> {
                System.out.println("bench-e2e: stopped; stopping the local stack");
                stack.close();
              },
              "bench-e2e-stop");
      Runtime.getRuntime().addShutdownHook(stopStack);
      for (int round = 0; round < rates.size(); round++) {
        int rate = rates.get(round);
        String prefix = "e2e" + round + ".";
        String db = "e2e" + round;
        try (PipelineRunner pipeline =
            PipelineRunner.start(
                stack,
                new PipelineRunner.Options(
                    prefix,
                    db,
                    Duration.ofMinutes(2),
                    Files.createDirectories(dir.resolve(db)),
                    0,
                    overrides))) {
          String line = runAt(rate, seconds, gpusPerTeam, pipeline, admin, ch, prefix, db);
          summary.add(line);
          if (line.contains(LANDED_NOTHING) || line.contains(LOAD_FAILED)) {
            failedRounds++;
          }
          if (line.contains("lag bounded") && !line.contains(LOAD_FAILED)) {
            highestBounded = Math.max(highestBounded, rate);
          }
        }
      }
      System.out.println();
      System.out.println(
          "bench-e2e summary ("
              + seconds
              + " s per rate"
              + (overrides.isEmpty() ? ", default settings" : ", settings " + overrides)
              + "):");
      summary.forEach(l -> System.out.println("  " + l));
      System.out.println(
          highestBounded < 0
              ? "  no rate tried kept its lag bounded"
              : "  highest offered rate with bounded lag: " + highestBounded + " samples/s");
      System.out.println("  processes (CPU seconds, peak RSS):");
      processes().forEach(p -> System.out.println("    " + p));
      Runtime.getRuntime().removeShutdownHook(stopStack);
    }
    if (failedRounds > 0) {
      System.out.println(
          "bench-e2e: "
              + failedRounds
              + " round(s) landed no sample or lost their load (above); logs are under "
              + dir);
      System.exit(1);
    }
    // The broker's logs, state and tables (gigabytes after ten minutes); kept when a run fails.
    System.out.println("bench-e2e: removing its folder " + dir);
    BenchInput.deleteTree(dir);
  }

  private static final String LANDED_NOTHING = "landed nothing";

  /** Marks a round whose load thread stopped early: its figures are not of the rate offered. */
  private static final String LOAD_FAILED = "LOAD FAILED";

  /** The first seconds of load, while the jobs start and the JVM compiles, reported apart too. */
  private static final long START_MS = 30_000;

  /** {@code value} as a positive whole number, or a clear refusal naming {@code key}. */
  private static int positive(String key, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException(
        key + "=" + value + " is not a positive whole number (e.g. rates=2000,5000 seconds=120)");
  }

  private static String runAt(
      int rate,
      int seconds,
      int gpusMax,
      PipelineRunner pipeline,
      Admin admin,
      ClickHouseHttp ch,
      String prefix,
      String db)
      throws Exception {
    Topics topics = Topics.withPrefix(prefix);
    List<String> teams = ProgramFile.launchDefault().activeTeams().stream().map(Team::id).toList();
    // One sample a second per GPU, up to gpus.per.team (by default each team's allocation in the
    // launch program, 1,000, past which the intake quarantines further GPUs); past it the GPUs
    // send more often.
    int perTeam = Math.max(1, rate / teams.size());
    int gpusPerTeam = Math.min(perTeam, gpusMax);
    // Sent so far per minute: send time -> cumulative count (all teams).
    Map<Long, ConcurrentSkipListMap<Long, Long>> sent = new ConcurrentHashMap<>();
    // When each minute's first steps were sent: a run row is not behind before then.
    Map<Long, Long> firstStepSent = new ConcurrentHashMap<>();
    AtomicLong total = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> loadFailure = new AtomicReference<>();
    Thread load =
        new Thread(
            () -> {
              try {
                produce(
                    pipeline,
                    topics,
                    teams,
                    gpusPerTeam,
                    perTeam,
                    seconds,
                    sent,
                    firstStepSent,
                    total,
                    stop);
              } catch (RuntimeException e) { // the round's figures are then of a partial load
                loadFailure.set(e.toString());
                System.out.println("bench-e2e: the load stopped: " + e);
              }
            },
            "e2e-load");
    System.out.printf(
        Locale.ROOT,
        "bench-e2e: offering %,d GPU samples/s (%d teams x %,d GPUs, %.1f samples a second"
            + " each) and %d steps/s for %d s%n",
        perTeam * teams.size(),
        teams.size(),
        gpusPerTeam,
        perTeam / (double) gpusPerTeam,
        teams.size(),
        seconds);
    long start = System.currentTimeMillis();
    Map<String, Long> cpuBefore = ThreadCpu.now();
    // Read while the load runs: the load's threads end with it, and their CPU time with them.
    Map<String, Long> cpuUnderLoad = cpuBefore;
    long cpuReadAt = start;
    load.start();
    List<Probe> probes = new ArrayList<>();
    List<Long> lagTotals = new ArrayList<>();
    long nextLag = start;
    while (load.isAlive()) {
      Thread.sleep(1000);
      long now = System.currentTimeMillis();
      Map<String, Long> reading = ThreadCpu.now();
      if (load.isAlive()) { // a reading after the load ended would miss its threads
        cpuUnderLoad = reading;
        cpuReadAt = now;
      }
      long minute = now - Math.floorMod(now, 60_000L);
      long inMinute = now - minute;
      if (inMinute > 5_000) { // the first seconds of a minute hold too few samples to read
        long raw = count(ch, "SELECT count() FROM " + db + ".gpu_samples WHERE ts_ms >= " + minute);
        long kpi =
            count(
                ch,
                "SELECT sum(samples) FROM "
                    + db
                    + ".team_fleet_1m FINAL WHERE window_start_ms = "
                    + minute);
        // The run minutes: the newest step each team's run row reflects; the slowest team's counts
        // (a team without a row this minute is behind by the whole minute so far).
        long newestStep = oldestNewestStep(ch, db, minute, teams.size(), firstStepSent.get(minute));
        probes.add(
            new Probe(
                now - start,
                raw < 0 ? -1 : delay(sent.get(minute), raw, now),
                kpi < 0 ? -1 : delay(sent.get(minute), kpi, now),
                newestStep == Long.MIN_VALUE ? -1 : now - newestStep));
      }
      if (now >= nextLag) {
        Map<String, Long> lag = pipeline.lag(admin);
        long sum = lag.values().stream().mapToLong(Long::longValue).sum();
        lagTotals.add(sum);
        System.out.printf(
            Locale.ROOT,
            "  t=%3d s  sent %,d  lag %s  freshness raw/fleet/run %s%n",
            (now - start) / 1000,
            total.get(),
            lag,
            probes.isEmpty() ? "not probed yet" : probes.get(probes.size() - 1).seconds());
        nextLag = now + 5_000;
      }
    }
    long sentTotal = total.get();
    long elapsed = System.currentTimeMillis() - start;
    String cpu = ThreadCpu.between(cpuBefore, cpuUnderLoad, (cpuReadAt - start) / 1000.0);
    // Drain: how long until every sample is a row.
    long drainStart = System.currentTimeMillis();
    long landed = 0;
    while (System.currentTimeMillis() - drainStart < 120_000) {
      landed = Math.max(landed, count(ch, "SELECT count() FROM " + db + ".gpu_samples"));
      if (landed >= sentTotal) {
        break;
      }
      Thread.sleep(500);
    }
    long drainMs = System.currentTimeMillis() - drainStart;
    String storage = storage(ch, db);
    boolean bounded = bounded(lagTotals, rate);
    // Reported besides the whole run's, not instead: a pipeline that runs for weeks lives in the
    // state after its start, and a ten-minute run's p99 is its five slowest probes.
    List<Probe> afterStart = probes.stream().filter(p -> p.atMs() >= START_MS).toList();
    String line =
        String.format(
            Locale.ROOT,
            "%soffered %,d/s: sent %,d in %.0f s (%,.0f/s), landed %,d (%s), drained %.1f s after"
                + " the load stopped; lag first/middle/last %s, %s; raw-row freshness %s; fleet-KPI"
                + " freshness %s; run-KPI freshness %s (steps come once a second per run, so up to"
                + " a second of that is their spacing); the same after the first %d s (the jobs"
                + " starting, the JVM compiling): raw rows %s, fleet KPIs %s, run KPIs %s; CPU under"
                + " load: %s; %s",
            loadFailure.get() == null ? "" : LOAD_FAILED + " (" + loadFailure.get() + "): ",
            rate,
            sentTotal,
            elapsed / 1000.0,
            sentTotal * 1000.0 / elapsed,
            landed,
            landed >= sentTotal
                ? "all"
                : landed <= 0
                    ? LANDED_NOTHING
                    : (sentTotal - landed) + " not landed 120 s after the load stopped",
            drainMs / 1000.0,
            lagTotals.isEmpty()
                ? "-"
                : lagTotals.get(0)
                    + "/"
                    + lagTotals.get(lagTotals.size() / 2)
                    + "/"
                    + lagTotals.get(lagTotals.size() - 1),
            bounded ? "lag bounded" : "lag GROWING",
            percentiles(probes.stream().map(Probe::rawMs).toList()),
            percentiles(probes.stream().map(Probe::kpiMs).toList()),
            percentiles(probes.stream().map(Probe::runMs).toList()),
            START_MS / 1000,
            percentiles(afterStart.stream().map(Probe::rawMs).toList()),
            percentiles(afterStart.stream().map(Probe::kpiMs).toList()),
            percentiles(afterStart.stream().map(Probe::runMs).toList()),
            cpu,
            storage);
    System.out.println("bench-e2e: " + line);
    return line;
  }

  /**
   * How far behind now the newest sample is that {@code counted} covers: the send time of the last
   * point at which no more than {@code counted} had been sent (-1 when nothing was sent yet).
   */
  static long delay(ConcurrentSkipListMap<Long, Long> sentByTime, long counted, long now) {
    if (sentByTime == null || sentByTime.isEmpty()) {
      return -1;
    }
    long covered = Long.MIN_VALUE;
    for (Map.Entry<Long, Long> e : sentByTime.entrySet()) {
      if (e.getValue() <= counted) {
        covered = e.getKey();
      } else {
        break;
      }
    }
    return covered == Long.MIN_VALUE ? now - sentByTime.firstKey() : now - covered;
  }

  /**
   * Lag is bounded when the last third's mean is no more than the middle third's plus 2 s of input.
   */
  static boolean bounded(List<Long> lag, int rate) {
    if (lag.size() < 3) {
      return lag.isEmpty() || lag.get(lag.size() - 1) <= 2L * rate;
    }
    int third = lag.size() / 3;
    double middle =
        lag.subList(third, 2 * third).stream().mapToLong(Long::longValue).average().orElse(0);
    double last =
        lag.subList(2 * third, lag.size()).stream().mapToLong(Long::longValue).average().orElse(0);
    return last <= middle + 2.0 * rate;
  }

  static String percentiles(List<Long> ms) {
    List<Long> v = new ArrayList<>(ms.stream().filter(x -> x >= 0).toList());
    if (v.isEmpty()) {
      return "not measured";
    }
    v.sort(Long::compare);
    return String.format(
        Locale.ROOT,
        "p50 %.1f s, p95 %.1f s, p99 %.1f s, max %.1f s (%d probes)",
        v.get((int) (v.size() * 0.50)) / 1000.0,
        v.get(Math.min(v.size() - 1, (int) (v.size() * 0.95))) / 1000.0,
        v.get(Math.min(v.size() - 1, (int) (v.size() * 0.99))) / 1000.0,
        v.get(v.size() - 1) / 1000.0,
        v.size());
  }

  /**
   * Serializes a sample and a step per team before the load's clock starts: the first use asks the
   * registry for the schema's id, which a registry still starting up may answer slowly; asked up to
   * five times, 2 s apart, then the failure stops the load.
   */
  private static void warm(
      List<String> teams, Topics topics, List<AvroSerializer<SpecificRecord>> serializers)
      throws InterruptedException {
    for (int t = 0; t < teams.size(); t++) {
      String team = teams.get(t);
      GpuSample s = sample(team, t, 0, 0L, 0, 0);
      TrainingStep st = step(team, 0, 0L);
      for (int attempt = 1; ; attempt++) {
        try {
          serializers.get(t).serialize(topics.team(team).gpuSamples.name(), s);
          serializers.get(t).serialize(topics.team(team).trainingSteps.name(), st);
          break;
        } catch (SchemaRegistryException e) {
          if (attempt == 5) {
            throw e;
          }
          System.out.println("bench-e2e: the registry did not answer (" + e + "); again in 2 s");
          Thread.sleep(2_000);
        }
      }
    }
  }

  /** GPU {@code g} of team number {@code t}'s load. */
  private static GpuSample sample(String team, int t, int g, long now, int utilPct, int powerW) {
    return GpuSample.newBuilder()
        .setTeam(team)
        .setCluster(team + "-c1")
        .setNode("node-" + (g / 8))
        .setGpuUuid("GPU-e2e-" + t + "-" + g)
        .setGpuIndex(g % 8)
        .setTsMs(now)
        .setUtilizationPct((double) utilPct)
        .setPowerW((double) powerW)
        .build();
  }

  /** Step {@code n} of the team's run: 4 Mi tokens a step, a step a second. */
  private static TrainingStep step(String team, long n, long now) {
    return TrainingStep.newBuilder()
        .setTeam(team)
        .setRunId("e2e-run")
        .setStep(n)
        .setTsMs(now)
        .setTokens(n * 4_194_304L)
        .setLoss(2.0)
        .setTokensPerSec(4_194_304.0)
        .build();
  }

  private static void produce(
      PipelineRunner pipeline,
      Topics topics,
      List<String> teams,
      int gpusPerTeam,
      int perTeam,
      int seconds,
      Map<Long, ConcurrentSkipListMap<Long, Long>> sent,
      Map<Long, Long> firstStepSent,
      AtomicLong total,
      AtomicBoolean stop) {
    List<KafkaProducer<String, byte[]>> producers = new ArrayList<>();
    List<AvroSerializer<SpecificRecord>> serializers = new ArrayList<>();
    try {
      for (String team : teams) {
        Map<String, Object> s = pipeline.teamSettings(team);
        s.put(CollectorConfig.TEAM, team);
        CollectorConfig c = new CollectorConfig(s);
        producers.add(
            new KafkaProducer<>(
                c.producerConfig("e2e-load-" + team, null),
                new StringSerializer(),
                new ByteArraySerializer()));
        AvroSerializer<SpecificRecord> avro = new AvroSerializer<>();
        avro.configure(c.serdeConfig(), false);
        serializers.add(avro);
      }
      warm(teams, topics, serializers);
      long start = System.currentTimeMillis();
      long end = start + seconds * 1000L;
      int perTick = Math.max(1, perTeam / 10); // per team, every 100 ms
      java.util.Random random = new java.util.Random(42);
      int[] next = new int[teams.size()];
      long step = 0;
      for (long tick = start; tick < end && !stop.get(); tick += 100) {
        long wait = tick - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
        long now = System.currentTimeMillis();
        for (int t = 0; t < teams.size(); t++) {
          String team = teams.get(t);
          String samples = topics.team(team).gpuSamples.name();
          for (int i = 0; i < perTick; i++) {
            int g = next[t]++ % gpusPerTeam;
            // As GPUs of a training fleet report: whole percents, busy, varying.
            GpuSample s =
                sample(team, t, g, now, 88 + random.nextInt(13), 450 + random.nextInt(250));
            producers
                .get(t)
                .send(
                    new ProducerRecord<>(
                        samples,
                        null,
                        now,
                        s.getGpuUuid(),
                        serializers.get(t).serialize(samples, s)));
          }
          if (tick % 1000 < 100) { // a step a second per team's run
            String steps = topics.team(team).trainingSteps.name();
            firstStepSent.putIfAbsent(now - Math.floorMod(now, 60_000L), now);
            TrainingStep st = step(team, ++step, now);
            producers
                .get(t)
                .send(
                    new ProducerRecord<>(
                        steps,
                        null,
                        now,
                        Keys.of(team, "e2e-run"),
                        serializers.get(t).serialize(steps, st)));
          }
        }
        long minute = now - Math.floorMod(now, 60_000L);
        long count = total.addAndGet((long) perTick * teams.size());
        sent.computeIfAbsent(minute, m -> new ConcurrentSkipListMap<>())
            .put(now, count - sentBefore(sent, minute));
      }
      producers.forEach(KafkaProducer::flush);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      producers.forEach(KafkaProducer::close);
      serializers.forEach(AvroSerializer::close);
    }
  }

  /** Samples sent in minutes before {@code minute}. */
  private static long sentBefore(Map<Long, ConcurrentSkipListMap<Long, Long>> sent, long minute) {
    long n = 0;
    for (Map.Entry<Long, ConcurrentSkipListMap<Long, Long>> e : sent.entrySet()) {
      if (e.getKey() < minute && !e.getValue().isEmpty()) {
        n += e.getValue().lastEntry().getValue();
      }
    }
    return n;
  }

  /**
   * The send time of the newest step reflected in the run minutes of {@code minute}, taken at the
   * team that is furthest behind: for a team with no row yet, the time the minute's first steps
   * were sent ({@code firstSent}); Long.MIN_VALUE when none was sent yet or ClickHouse did not
   * answer.
   */
  private static long oldestNewestStep(
      ClickHouseHttp ch, String db, long minute, int teams, Long firstSent) {
    if (firstSent == null) {
      return Long.MIN_VALUE; // no step sent in this minute yet: nothing to be behind on
    }
    try {
      String[] f =
          ch.execute(
                  "SELECT count(), min(newest) FROM (SELECT team, max(last_ts_ms) AS newest FROM "
                      + db
                      + ".run_1m FINAL WHERE window_start_ms = "
                      + minute
                      + " GROUP BY team) FORMAT TabSeparated")
              .strip()
              .split("\t");
      return Long.parseLong(f[0]) < teams ? firstSent : Long.parseLong(f[1]);
    } catch (RuntimeException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * What the samples take on disk, for sizing storage: compressed bytes per row of {@code
   * gpu_samples} (the benchmark's values vary less than a real fleet's, so real rows take more).
   */
  private static String storage(ClickHouseHttp ch, String db) {
    try {
      ch.execute("OPTIMIZE TABLE " + db + ".gpu_samples FINAL");
      String[] f =
          ch.execute(
                  "SELECT sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes)"
                      + " FROM system.parts WHERE active AND database = '"
                      + db
                      + "' AND table = 'gpu_samples' FORMAT TabSeparated")
              .strip()
              .split("\t");
      long rows = Long.parseLong(f[0]);
      long compressed = Long.parseLong(f[1]);
      return String.format(
          Locale.ROOT,
          "gpu_samples on disk: %,d rows in %,d bytes compressed (%.1f bytes a row; %.1f"
              + " uncompressed)",
          rows,
          compressed,
          rows == 0 ? 0.0 : compressed / (double) rows,
          rows == 0 ? 0.0 : Long.parseLong(f[2]) / (double) rows);
    } catch (RuntimeException e) {
      return "gpu_samples on disk: not read ("
          + e.getMessage().lines().findFirst().orElse("")
          + ")";
    }
  }

  /** The count, or -1 when ClickHouse did not answer (a probe not taken, never a zero). */
  private static long count(ClickHouseHttp ch, String sql) {
    try {
      try {
        return ch.count(sql);
      } catch (RuntimeException stale) {
        return ch.count(sql); // once more: an idle keep-alive connection the server closed
      }
    } catch (RuntimeException e) {
      System.out.println("  probe failed: " + e.getMessage().lines().findFirst().orElse(""));
      return -1;
    }
  }

  /** This JVM and its child processes: CPU seconds and peak RSS, from /proc. */
  static List<String> processes() {
    List<String> out = new ArrayList<>();
    List<ProcessHandle> all = new ArrayList<>();
    all.add(ProcessHandle.current());
    ProcessHandle.current().descendants().forEach(all::add);
    for (ProcessHandle p : all) {
      try {
        String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
        String hwm =
            status.lines().filter(l -> l.startsWith("VmHWM:")).findFirst().orElse("VmHWM: ?");
        String[] stat =
            Files.readString(Path.of("/proc/" + p.pid() + "/stat")).split("\\) ")[1].split(" ");
        double cpu = (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0;
        String cmd = p.info().commandLine().orElse("?");
        String name =
            p.pid() == ProcessHandle.current().pid()
                ? "this JVM (broker, intake and KPI jobs, sink, load)"
                : cmd.contains("clickhouse")
                    ? "ClickHouse"
                    : cmd.contains("apicurio") || cmd.contains("registry")
                        ? "schema registry"
                        : cmd.length() > 60 ? cmd.substring(0, 60) : cmd;
        out.add(
            String.format(
                Locale.ROOT,
                "%s (pid %d): %.1f CPU s, peak RSS %s",
                name,
                p.pid(),
                cpu,
                hwm.replace("VmHWM:", "").strip()));
      } catch (Exception e) {
        // a process that ended meanwhile
      }
    }
    return out;
  }
}
