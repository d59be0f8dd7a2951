package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.devtools.TwoTeamFleet.Expected;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.ClickHouseSinkApp;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.fleet.FleetKpiJob;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scale-out: two instances of the fleet KPI job (one application id) and two of the ClickHouse sink
 * (one group), each a process of its own, share the six sample partitions; one of each is SIGKILLed
 * mid-stream, the survivors take over its partitions, and ClickHouse then holds every sample once
 * and every team and cluster minute equal to a computation over the samples.
 */
@ExtendWith(RealStackExtension.class)
class ScaleOutIT {
  /** Ticks (10 s of event time each) sent after the survivors hold every partition. */
  private static final int TICKS_AFTER_TAKEOVER = 30;

  private final TestNamespace ns = TestNamespace.of(ScaleOutIT.class);

  @Test
  void secondInstancesShareTheWorkAndTakeOverWhenOneIsKilled(LocalStack stack) throws Exception {
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), "scale-" + ns.database());
    Files.createDirectories(dir);
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    Map<String, Expected> expected = new TreeMap<>();
    AtomicInteger ticks = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    double[] utilSum = new double[1];
    Thread producer =
        new Thread(
            () -> {
              try (KafkaProducer<String, GpuSample> p =
                  new KafkaProducer<>(
                      stack.kafkaClientConfig(),
                      topics.gpuSamples.keySerde(serde).serializer(),
                      topics.gpuSamples.valueSerde(serde).serializer())) {
                for (int tick = 0; !stop.get(); tick++) {
                  for (int g = 0; g < TwoTeamFleet.GPUS; g++) {
                    GpuSample s = TwoTeamFleet.sample(tick, g);
                    synchronized (expected) {
                      TwoTeamFleet.expect(expected, s);
                      utilSum[0] += s.getUtilizationPct();
                    }
                    p.send(new ProducerRecord<>(topics.gpuSamples.name(), s.getGpuUuid(), s));
                  }
                  p.flush();
                  ticks.incrementAndGet();
                  Thread.sleep(60); // a steady stream, so the kills land mid-stream
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "steady-producer");

    String jobApp = ns.topicPrefix() + "kpi";
    String jobGroup = jobApp + "-" + FleetKpiJob.JOB;
    String sinkGroup = ns.topicPrefix() + "sink";
    List<String> common = new ArrayList<>(stack.deployableArgs());
    common.add(CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl());
    common.add(CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix());
    // A killed member holds its partitions until its session times out: keep that short here.
    common.add("kafka.session.timeout.ms=6000");
    common.add("kafka.heartbeat.interval.ms=1000");
    List<Process> children = new ArrayList<>();
    try (Admin admin = stack.kafka().admin();
        ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      producer.start();
      Map<String, Process> jobs = new TreeMap<>();
      Map<String, Process> sinks = new TreeMap<>();
      for (String instance : List.of("a", "b")) {
        List<String> jobArgs = new ArrayList<>(common);
        jobArgs.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=" + jobApp);
        // Instances on one machine need state directories of their own, as on two machines.
        jobArgs.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("state-" + instance));
        jobs.put(instance, start(FleetKpiJob.class, jobArgs, dir.resolve("job-" + instance)));
        children.add(jobs.get(instance));
        List<String> sinkArgs = new ArrayList<>(common);
        sinkArgs.add(SinkConfig.CLICKHOUSE_URL + "=" + stack.clickhouse().jdbcUrl());
        sinkArgs.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
        sinkArgs.add(SinkConfig.CLICKHOUSE_DATABASE + "=" + ns.database());
        sinkArgs.add(SinkConfig.GROUP_ID + "=" + sinkGroup);
        sinkArgs.add(SinkConfig.METRICS_PORT + "=-1");
        sinkArgs.add(SinkConfig.RETENTION_GPU_SAMPLES_DAYS + "=0"); // fixed, past dates
        sinks.put(
            instance, start(ClickHouseSinkApp.class, sinkArgs, dir.resolve("sink-" + instance)));
        children.add(sinks.get(instance));
      }
      String samples = topics.gpuSamples.name();
      Await.until(
          "both fleet job instances to own sample partitions, and both sinks",
          Duration.ofSeconds(180),
          () ->
              ownersOf(admin, jobGroup, samples).size() == 2
                  && ownersOf(admin, sinkGroup, samples).size() == 2);
      Map<String, Set<Integer>> shared = ownersOf(admin, jobGroup, samples);
      assertThat(shared.values().stream().mapToInt(Set::size).sum())
          .as("the six sample partitions split between the job's two instances: %s", shared)
          .isEqualTo(6);
      long landed = count(ch, "gpu_samples");
      Await.value(
          "rows landing while both instances run",
          Duration.ofSeconds(120),
          () -> count(ch, "team_fleet_1m") + count(ch, "gpu_samples"),
          n -> n > landed + 2_000);

      jobs.get("b").destroyForcibly(); // SIGKILL: no commit, no flush, no leave-group
      sinks.get("b").destroyForcibly();
      assertThat(jobs.get("b").waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(sinks.get("b").waitFor(10, TimeUnit.SECONDS)).isTrue();
      Await.until(
          "the surviving instances to own all six sample partitions",
          Duration.ofSeconds(120),
          () ->
              owned(ownersOf(admin, jobGroup, samples)) == 6
                  && ownersOf(admin, jobGroup, samples).size() == 1
                  && owned(ownersOf(admin, sinkGroup, samples)) == 6
                  && ownersOf(admin, sinkGroup, samples).size() == 1);
      int takeover = ticks.get();
      Await.value(
          "the stream to go on after the takeover",
          Duration.ofSeconds(120),
          ticks::get,
          t -> t >= takeover + TICKS_AFTER_TAKEOVER);
      stop.set(true);
      producer.join(60_000);
      assertThat(producer.isAlive()).isFalse();

      long produced;
      double utilProduced;
      Map<String, Expected> exp;
      synchronized (expected) {
        exp = new TreeMap<>(expected);
        produced = (long) ticks.get() * TwoTeamFleet.GPUS;
        utilProduced = utilSum[0];
      }
      String db = ns.database();
      Await.until(
          "every team and cluster minute in ClickHouse to add up",
          Duration.ofSeconds(120),
          () ->
              rows(ch, db + ".team_fleet_1m", false).equals(keysOf(exp, false))
                  && rows(ch, db + ".cluster_fleet_1m", true).equals(keysOf(exp, true)));
      Await.until(
          "every sample in ClickHouse once",
          Duration.ofSeconds(120),
          () -> ch.count("SELECT count() FROM " + db + ".gpu_samples FINAL") == produced);
      assertThat(ch.count("SELECT count() FROM " + db + ".gpu_samples FINAL")).isEqualTo(produced);
      assertThat(ch.count("SELECT uniqExact(gpu_uuid, ts_ms) FROM " + db + ".gpu_samples"))
          .isEqualTo(produced);
      assertThat(
              Double.parseDouble(
                  ch.execute(
                          "SELECT sum(utilization_pct) FROM "
                              + db
                              + ".gpu_samples FINAL FORMAT TabSeparated")
                      .trim()))
          .isEqualTo(utilProduced);
      assertThat(rows(ch, db + ".team_fleet_1m", false)).isEqualTo(keysOf(exp, false));
      assertThat(rows(ch, db + ".cluster_fleet_1m", true)).isEqualTo(keysOf(exp, true));

      for (String instance : List.of("a")) {
        jobs.get(instance).destroy();
        sinks.get(instance).destroy();
        assertThat(jobs.get(instance).waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(sinks.get(instance).waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(TopicContents.records(stack, topics.sinkDeadLetters)).isEmpty();
    } finally {
      stop.set(true);
      producer.interrupt();
      children.forEach(Process::destroyForcibly);
    }
  }

  /** Each member of {@code group} (by client host and id) with the partitions of topic it owns. */
  private static Map<String, Set<Integer>> ownersOf(Admin admin, String group, String topic) {
    try {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      Map<String, Set<Integer>> out = new TreeMap<>();
      for (MemberDescription m : d.members()) {
        Set<Integer> mine =
            m.assignment().topicPartitions().stream()
                .filter(tp -> tp.topic().equals(topic))
                .map(TopicPartition::partition)
                .collect(Collectors.toSet());
        if (!mine.isEmpty()) {
          out.put(m.consumerId(), mine);
        }
      }
      return out;
    } catch (Exception e) {
      return Map.of(); // the group forms as the members join
    }
  }

  private static int owned(Map<String, Set<Integer>> owners) {
    Set<Integer> all = new HashSet<>();
    owners.values().forEach(all::addAll);
    return all.size();
  }

  private long count(ClickHouseHttp ch, String table) {
    try {
      return ch.count("SELECT count() FROM " + ns.database() + "." + table);
    } catch (RuntimeException e) {
      return 0; // the tables appear when the first sink applies its migrations
    }
  }

  /** The table's rows read through FINAL, as key to "samples gpus mean" with the mean rounded. */
  private static Map<String, String> rows(ClickHouseHttp ch, String table, boolean clusters) {
    Map<String, String> out = new TreeMap<>();
    String tsv;
    try {
      tsv =
          ch.execute(
              "SELECT team, "
                  + (clusters ? "cluster" : "'*'")
                  + ", window_start_ms, samples, gpus_reporting, utilization_mean_pct FROM "
                  + table
                  + " FINAL FORMAT TabSeparated");
    } catch (RuntimeException e) {
      return out;
    }
    for (String line : tsv.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t");
      out.put(
          f[0] + "/" + f[1] + "@" + f[2],
          row(Long.parseLong(f[3]), Integer.parseInt(f[4]), Double.parseDouble(f[5])));
    }
    return out;
  }

  private static Map<String, String> keysOf(Map<String, Expected> all, boolean clusters) {
    Map<String, String> out = new TreeMap<>();
    TwoTeamFleet.only(all, clusters)
        .forEach(
            (k, v) -> out.put(k, row(v.samples(), v.gpus().size(), v.utilSum() / v.samples())));
    return out;
  }

  /** One row's figures; the mean to nine decimals, as sum order may differ in the last bits. */
  private static String row(long samples, int gpus, double mean) {
    return samples + " samples, " + gpus + " GPUs, mean " + String.format("%.9f", mean);
  }

  private static Process start(Class<?> main, List<String> args, Path logBase) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    Path log = Path.of(logBase + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("LD_PRELOAD");
    return pb.start();
  }
}
