package kai.telemetry.devtools.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.fleet.FleetKpiJob;
import kai.telemetry.streams.intake.IntakeJob;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Throughput of the fleet KPI job (the heaviest: every GPU sample, two aggregation stages,
 * exactly-once) over a topic of GPU samples, and of the intake job over the same samples in the
 * teams' intake topics (decode, check, copy), next to a plain consumer that only deserializes the
 * same topic from the same local broker, and to Kafka Streams doing nothing but deserializing it.
 * Each reader runs in a JVM of its own, as deployed, and all three are timed the same way: by their
 * committed offsets, polled every 20 ms (the jobs commit at their commit interval, the plain
 * consumer every 100 ms). Two rates each: the whole run (from the JVM's start to the last offset
 * committed, start-up included) and the steady state (from the first commit past a fifth of the
 * records to the last), the one a long-running job sees.
 *
 * <p>Arguments: {@code records=N} (default 4,000,000), {@code gpus=N} (default 2,000), {@code
 * guarantee=at_least_once} to compare, {@code jvm="..."} (the readers' JVM options; default {@code
 * -Xmx1g}, as bin/kai runs every process), and {@code kafka.*} Streams overrides for both Streams
 * readers (e.g. {@code kafka.num.stream.threads=2}).
 */
public final class KpiBenchmark {
  private static final Duration POLL = Duration.ofMillis(20);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  private KpiBenchmark() {}

  /** Records per second over the whole run and in steady state (NaN if it had none). */
  private record Rate(double whole, double steady) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    long records = Long.parseLong(a.getOrDefault("records", "4000000"));
    int gpus = Integer.parseInt(a.getOrDefault("gpus", "2000"));
    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench/kpi-" + ProcessHandle.current().pid());
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free());
        Admin admin = stack.kafka().admin()) {
      Topics topics = Topics.withPrefix("bench.");
      List<String> teams =
          kai.telemetry.producers.program.ProgramFile.launchDefault().activeTeams().stream()
              .map(kai.telemetry.producers.program.Team::id)
              .toList();
      List<Topic<?, ?>> all = new ArrayList<>(topics.all());
      teams.forEach(t -> all.addAll(topics.team(t).all()));
      stack.kafka().createTopics(all.stream().map(t -> t.newTopic((short) 1)).toList());
      Map<String, Object> common = new HashMap<>();
      common.putAll(stack.deployableSettings());
      common.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
      common.put(CommonSettings.TOPIC_PREFIX, "bench.");
      SimulatorConfig sim = new SimulatorConfig(common);
      Topic<String, GpuSample> topic = topics.gpuSamples;

      // The input: a simulated fleet, tick after tick, as much as asked for.
      int fleetGpus = BenchInput.produceGpuSamples(sim, topic, records, gpus);
      // The same samples again, each into its team's intake, for the intake job.
      BenchInput.produceGpuSamples(
          sim, topic, s -> topics.team(s.getTeam()).gpuSamples.name(), records, gpus);
      System.out.printf(
          "KPI benchmark: %,d GPU samples of %,d GPUs (30 s apart), %d partitions%n",
          records, fleetGpus, topic.partitions());

      // The KPI jobs' settings, as both Streams readers get them.
      List<String> streamsArgs = new ArrayList<>();
      common.forEach((k, v) -> streamsArgs.add(k + "=" + v));
      streamsArgs.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=bench-kpi");
      streamsArgs.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("streams-state"));
      if (a.containsKey("guarantee")) {
        streamsArgs.add(KpiStreamsConfig.PROCESSING_GUARANTEE + "=" + a.get("guarantee"));
      }
      a.forEach(
          (k, v) -> {
            if (k.startsWith(ConfigLoader.CLIENT_OVERRIDE_PREFIX)) {
              streamsArgs.add(k + "=" + v);
            }
          });
      KpiStreamsConfig kpi =
          KpiStreamsConfig.fromArgs(streamsArgs.toArray(String[]::new)); // validates them here
      long commitMs = kpi.getLong(KpiStreamsConfig.COMMIT_INTERVAL_MS);
      String guarantee = kpi.getString(KpiStreamsConfig.PROCESSING_GUARANTEE);

      List<String> plainArgs = new ArrayList<>();
      common.forEach((k, v) -> plainArgs.add(k + "=" + v));
      plainArgs.add("group.id=bench-plain");
      plainArgs.add("records=" + records);

      Reader readers =
          new Reader(
              a.getOrDefault("jvm", BenchInput.DEFAULT_JVM_OPTIONS), dir, admin, topic, records);
      Rate plain = readers.run("plain", PlainConsumerReader.class, plainArgs, "bench-plain");
      Rate floor =
          readers.run(
              "floor",
              DeserializeOnlyJob.class,
              streamsArgs,
              "bench-kpi-" + DeserializeOnlyJob.JOB);
      Rate fleet =
          readers.run("fleet", FleetKpiJob.class, streamsArgs, "bench-kpi-" + FleetKpiJob.JOB);
      // Last: it appends its copies to the samples topic the readers above have finished with.
      Rate intake =
          readers.run(
              "intake",
              IntakeJob.class,
              streamsArgs,
              "bench-kpi-" + IntakeJob.JOB,
              t -> topics.intake(t).isPresent());

      System.out.printf(
          "%n%-52s %18s %18s%n",
          "reader (own JVM; jobs commit every " + commitMs + " ms)", "whole run", "steady state");
      print("plain consumer, deserialize only", plain, plain);
      print("Kafka Streams, deserialize only (" + guarantee + ")", floor, plain);
      print("fleet KPI job (" + guarantee + ")", fleet, plain);
      print("intake job: check and copy (" + guarantee + ")", intake, plain);
      System.out.printf(
          "%nfleet KPI job / plain consumer: %.2f steady state, %.2f whole run (target >= 0.50)%n",
          fleet.steady() / plain.steady(), fleet.whole() / plain.whole());
    }
    BenchInput.deleteTree(dir); // gigabytes of broker logs and state; kept when a run fails
  }

  private static void print(String label, Rate r, Rate plain) {
    System.out.printf(
        "%-52s %,11.0f (%.2f) %,11.0f (%.2f)  records/s%n",
        label, r.whole(), r.whole() / plain.whole(), r.steady(), r.steady() / plain.steady());
  }

  /** Runs one reader at a time in a child JVM and times it by its group's committed offsets. */
  private record Reader(
      String jvm, Path dir, Admin admin, Topic<String, GpuSample> topic, long records) {

    Rate run(String name, Class<?> main, List<String> args, String group) throws Exception {
      return run(name, main, args, group, t -> t.equals(topic.name()));
    }

    /** As above, counting the group's committed offsets on the topics {@code counted} accepts. */
    Rate run(
        String name,
        Class<?> main,
        List<String> args,
        String group,
        java.util.function.Predicate<String> counted)
        throws Exception {
      Path log = dir.resolve(name + ".log");
      ProcessBuilder pb =
          BenchInput.childJvm(jvm, main.getName(), args).redirectOutput(log.toFile());
      long startNs = System.nanoTime();
      Process reader = pb.start();
      try {
        long deadline = startNs + Duration.ofMinutes(30).toNanos();
        long warmNs = 0;
        long warmRecords = 0;
        long done = 0;
        long shownNs = startNs;
        while (done < records) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(name + " did not commit every record in 30 min");
          }
          if (!reader.isAlive() && reader.exitValue() != 0) {
            throw new IllegalStateException(name + " exited; see " + log);
          }
          done = committed(group, counted);
          if (System.nanoTime() - shownNs >= PROGRESS_EVERY.toNanos()) {
            System.out.printf("  %s: %,d of %,d records committed%n", name, done, records);
            shownNs = System.nanoTime();
          }
          if (warmNs == 0 && done >= records / 5) {
            warmNs = System.nanoTime();
            warmRecords = done;
          }
          if (done < records) {
            Thread.sleep(POLL.toMillis());
          }
        }
        long endNs = System.nanoTime();
        double steady =
            endNs > warmNs && warmRecords < records
                ? (records - warmRecords) / ((endNs - warmNs) / 1e9)
                : Double.NaN;
        Rate rate = new Rate(records / ((endNs - startNs) / 1e9), steady);
        System.out.printf(
            "%s: %,.0f records/s steady, %,.0f whole run%n", name, rate.steady(), rate.whole());
        return rate;
      } finally {
        reader.destroy(); // SIGTERM: the jobs close cleanly
        if (!reader.waitFor(60, TimeUnit.SECONDS)) {
          reader.destroyForcibly();
        }
      }
    }

    private long committed(String group, java.util.function.Predicate<String> counted)
        throws Exception {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      long sum = 0;
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
        if (counted.test(e.getKey().topic()) && e.getValue() != null) {
          sum += e.getValue().offset();
        }
      }
      return sum;
    }
  }
}
