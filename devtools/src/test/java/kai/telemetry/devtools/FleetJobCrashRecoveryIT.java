package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.devtools.TwoTeamFleet.Expected;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.ClickHouseSink;
import kai.telemetry.sinks.clickhouse.ClickHouseSinkApp;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.fleet.FleetKpiJob;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fleet KPI job, in a process of its own, is SIGKILLed twice while samples flow over six
 * partitions and restarted, and the broker itself is restarted under it once: the newest row of
 * every team and cluster minute (by version) then equals a computation over the samples, so
 * exactly-once state and the shares changed but not yet sent survive the kills and the broker's
 * restart; the producer and the ClickHouse sink ride through the restart too, the sink landing
 * every sample exactly once.
 */
@ExtendWith(RealStackExtension.class)
class FleetJobCrashRecoveryIT {
  /** At least this many ticks, 10 s apart; the stream goes on until the last kill. */
  private static final int MIN_TICKS = 240;

  private final TestNamespace ns = TestNamespace.of(FleetJobCrashRecoveryIT.class);

  @Test
  void killedTwiceMidStreamEveryMinuteStillAddsUp(LocalStack stack) throws Exception {
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), "fleet-" + ns.database());
    Files.createDirectories(dir);
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    Map<String, Expected> expected = new TreeMap<>();
    AtomicBoolean killsDone = new AtomicBoolean();
    Thread producer =
        new Thread(
            () -> {
              try (KafkaProducer<String, GpuSample> p =
                  new KafkaProducer<>(
                      stack.kafkaClientConfig(),
                      topics.gpuSamples.keySerde(serde).serializer(),
                      topics.gpuSamples.valueSerde(serde).serializer())) {
                for (int tick = 0; tick < MIN_TICKS || !killsDone.get(); tick++) {
                  for (int g = 0; g < TwoTeamFleet.GPUS; g++) {
                    GpuSample s = TwoTeamFleet.sample(tick, g);
                    synchronized (expected) {
                      TwoTeamFleet.expect(expected, s);
                    }
                    p.send(new ProducerRecord<>(topics.gpuSamples.name(), s.getGpuUuid(), s));
                  }
                  p.flush();
                  Thread.sleep(60); // a steady stream, so the kills land mid-stream
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "steady-producer");
    producer.start();

    List<String> args = new ArrayList<>();
    args.addAll(stack.deployableArgs());
    args.add(CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl());
    args.add(CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix());
    args.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=" + ns.topicPrefix() + "kpi");
    args.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("state"));
    // A killed member holds its partitions until its session times out: keep that short here.
    args.add("kafka.session.timeout.ms=6000");
    args.add("kafka.heartbeat.interval.ms=1000");
    Topic<String, TeamFleetMinute> teamRows = topics.teamFleetMinute;
    Topic<String, TeamFleetMinute> clusterRows = topics.clusterFleetMinute;
    List<Process> children = new ArrayList<>();
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(sinkSettings(stack)));
    Thread sinkThread = new Thread(sink, "sink-under-test");
    sinkThread.start();
    try {
      for (int kill = 1; kill <= 2; kill++) {
        Path log = dir.resolve("fleet-job-" + kill + ".log");
        Process job = job(args, log);
        children.add(job);
        Await.until(
            "the job to run (run " + kill + ")",
            Duration.ofSeconds(120),
            () -> logSays(log, "-> RUNNING"));
        int before = TopicContents.readAll(stack, teamRows).size();
        Await.value(
            "the job to emit more rows (run " + kill + ")",
            Duration.ofSeconds(120),
            () -> TopicContents.readAll(stack, teamRows).size(),
            n -> n > before + 20);
        if (kill == 2) {
          // The broker goes down and comes back under the running job, producer and sink.
          stack.kafka().restart();
          int afterRestart = TopicContents.readAll(stack, teamRows).size();
          Await.value(
              "the job to emit rows again after the broker's restart",
              Duration.ofSeconds(120),
              () -> TopicContents.readAll(stack, teamRows).size(),
              n -> n > afterRestart + 20);
        }
        job.destroyForcibly(); // SIGKILL: no commit, no flush
        assertThat(job.waitFor(10, TimeUnit.SECONDS)).isTrue();
      }
      killsDone.set(true); // a fast job could otherwise drain the stream before a kill
      producer.join(120_000);
      assertThat(producer.isAlive()).isFalse();
      Process last = job(args, dir.resolve("fleet-job-final.log"));
      children.add(last);
      Map<String, Expected> teamExpected;
      Map<String, Expected> clusterExpected;
      synchronized (expected) {
        teamExpected = TwoTeamFleet.only(expected, false);
        clusterExpected = TwoTeamFleet.only(expected, true);
      }
      Await.until(
          "every team and cluster minute to add up",
          Duration.ofSeconds(120),
          () ->
              matches(newest(TopicContents.readAll(stack, teamRows)), teamExpected)
                  && matches(newest(TopicContents.readAll(stack, clusterRows)), clusterExpected));
      last.destroy();
      assertThat(last.waitFor(30, TimeUnit.SECONDS)).isTrue();
      long produced = teamExpected.values().stream().mapToLong(Expected::samples).sum();
      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        Await.until(
            "every sample in ClickHouse once, the broker's restart notwithstanding",
            Duration.ofSeconds(120),
            () ->
                ch.count("SELECT count() FROM " + ns.database() + ".gpu_samples FINAL")
                    == produced);
      }
      assertThat(sink.metrics().deadLettered()).isZero();
    } finally {
      producer.interrupt();
      children.forEach(Process::destroyForcibly);
      sink.stopAndAwait(Duration.ofSeconds(30));
      sink.close();
    }
  }

  private Map<String, Object> sinkSettings(LocalStack stack) {
    Map<String, Object> s = new java.util.HashMap<>(stack.deployableSettings());
    s.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    s.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    s.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    s.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    s.put(SinkConfig.CLICKHOUSE_DATABASE, ns.database());
    s.put(SinkConfig.GROUP_ID, ns.topicPrefix() + "sink");
    s.put(SinkConfig.METRICS_PORT, -1);
    s.put(SinkConfig.RETENTION_GPU_SAMPLES_DAYS, 0); // the samples' dates are fixed, past
    return s;
  }

  /** The newest row (highest version) of each team or cluster minute. */
  private static Map<String, TeamFleetMinute> newest(List<TeamFleetMinute> rows) {
    Map<String, TeamFleetMinute> out = new TreeMap<>();
    for (TeamFleetMinute r : rows) {
      String key = r.getTeam() + "/" + r.getCluster() + "@" + r.getWindowStartMs();
      TeamFleetMinute prev = out.get(key);
      if (prev == null || r.getVersion() >= prev.getVersion()) {
        out.put(key, r);
      }
    }
    return out;
  }

  private static boolean matches(Map<String, TeamFleetMinute> rows, Map<String, Expected> exp) {
    if (!rows.keySet().equals(exp.keySet())) {
      return false;
    }
    for (Map.Entry<String, Expected> e : exp.entrySet()) {
      TeamFleetMinute r = rows.get(e.getKey());
      Expected x = e.getValue();
      if (r.getSamples() != x.samples()
          || r.getGpusReporting() != x.gpus().size()
          || Math.abs(r.getUtilizationMeanPct() - x.utilSum() / x.samples()) > 1e-9) {
        return false;
      }
    }
    return true;
  }

  private static boolean logSays(Path log, String text) {
    try {
      return Files.exists(log) && Files.readString(log).contains(text);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static Process job(List<String> args, Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(FleetKpiJob.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("LD_PRELOAD");
    return pb.start();
  }
}
