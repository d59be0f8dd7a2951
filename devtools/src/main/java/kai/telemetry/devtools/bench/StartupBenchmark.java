package kai.telemetry.devtools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.devtools.Distribution;
import kai.telemetry.devtools.Distribution.Deployable;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.kafka.clients.admin.Admin;

/**
 * The distribution as an operator meets it: its size, and for each deployable started through the
 * launcher on a local stack, one at a time so that none competes with another for the CPU, the time
 * from exec to ready (a KPI job RUNNING, the sink assigned its partitions, the simulator producing)
 * or, for a one-shot collector, to its exit; then the heap in use after a full GC and the resident
 * memory. {@code bin/kai bench-startup [runs=N]}.
 */
public final class StartupBenchmark {
  private record Started(String command, String readyWhen) {}

  private static final List<Started> SERVICES =
      List.of(
          new Started("fleet-kpi-job", "-> RUNNING"),
          new Started("training-kpi-job", "-> RUNNING"),
          new Started("scoreboard-job", "-> RUNNING"),
          new Started("alerts-job", "-> RUNNING"),
          new Started("clickhouse-sink", "sink assigned"),
          new Started("simulate", "simulating"));

  private StartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    int runs = Integer.parseInt(a.getOrDefault("runs", "1"));
    Distribution dist = Distribution.locate();
    Path archive;
    try (var files = Files.list(dist.home().getParent())) {
      archive =
          files
              .filter(f -> f.getFileName().toString().matches("kai-telemetry-.*\\.tar\\.gz"))
              .findFirst()
              .orElse(dist.home().resolveSibling("kai-telemetry-(version).tar.gz"));
    }
    System.out.printf(
        "distribution %s: %,d bytes in %d jars and the launcher; archive %s: %s%n",
        dist.home(),
        dist.sizeBytes(),
        dist.jars().size(),
        archive.getFileName(),
        Files.exists(archive) ? String.format("%,d bytes", Files.size(archive)) : "not built");
    List<String> banned =
        dist.jars().stream().filter(j -> Distribution.BANNED_JAR.matcher(j).matches()).toList();
    if (!banned.isEmpty()) {
      throw new IllegalStateException("the distribution carries " + banned);
    }

    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench-startup");
    BenchInput.deleteTree(dir);
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free())) {
      try (Admin admin = stack.kafka().admin()) {
        admin
            .createTopics(
                Topics.withPrefix("").all().stream().map(t -> t.newTopic((short) 1)).toList())
            .all()
            .get();
      }
      for (int run = 1; run <= runs; run++) {
        System.out.printf(
            "%nrun %d of %d (launcher defaults: -Xmx1g)%n%-18s %14s %16s %14s %10s%n",
            run, runs, "deployable", "ready after s", "heap after GC MB", "resident MB", "stop s");
        measure(dist, stack, dir.resolve("run-" + run), run);
      }
    }
    BenchInput.deleteTree(dir);
  }

  private static void measure(Distribution dist, LocalStack stack, Path dir, int run)
      throws Exception {
    List<String> common = new ArrayList<>(stack.deployableArgs()); // authenticated
    common.add(CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl());
    List<Deployable> running = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    try {
      for (Started s : SERVICES) {
        List<String> args = new ArrayList<>(common);
        switch (s.command()) {
          case "clickhouse-sink" -> {
            args.add(SinkConfig.CLICKHOUSE_URL + "=" + stack.clickhouse().jdbcUrl());
            args.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
            args.add(SinkConfig.CLICKHOUSE_DATABASE + "=bench_startup");
            args.add(SinkConfig.GROUP_ID + "=bench-startup-sink-" + run);
            args.add(SinkConfig.METRICS_PORT + "=0");
          }
          case "simulate" -> {}
          default -> {
            args.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=bench-startup-" + run);
            args.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("state"));
          }
        }
        Deployable d = dist.start(s.command(), args, dir.resolve(s.command() + ".log"));
        running.add(d);
        Duration ready = d.awaitLog(s.readyWhen(), Duration.ofSeconds(180));
        lines.add(
            String.format(
                "%-18s %14.1f %16.0f %14.0f",
                s.command(),
                ready.toMillis() / 1000.0,
                d.heapUsedBytes() / 1e6,
                d.residentBytes() / 1e6));
      }
      for (int i = 0; i < running.size(); i++) {
        long t0 = System.nanoTime();
        int status = running.get(i).stop(Duration.ofSeconds(60));
        if (status != 0 && status != 143) {
          throw new IllegalStateException(
              running.get(i).command() + " exited with " + status + " on SIGTERM");
        }
        System.out.printf("%s %10.1f%n", lines.get(i), (System.nanoTime() - t0) / 1e9);
      }
      oneShot(
          dist,
          common,
          dir,
          "read-nvidia-smi",
          Path.of("producers/src/test/resources/fixtures/nvidia-smi-query.csv"),
          CollectorConfig.SMI_INPUT);
      oneShot(
          dist,
          common,
          dir,
          "import-lm-eval",
          Path.of("producers/src/test/resources/fixtures/lm-eval-results.json"),
          CollectorConfig.LMEVAL_FILE);
    } finally {
      running.forEach(Deployable::close);
    }
  }

  /** A collector run over a small file from start to exit (its JVM start dominates). */
  private static void oneShot(
      Distribution dist, List<String> common, Path dir, String command, Path input, String key)
      throws Exception {
    if (!Files.exists(input)) {
      System.out.printf("%-18s skipped: no sample input at %s%n", command, input);
      return;
    }
    List<String> args = new ArrayList<>(common);
    args.add(CollectorConfig.TEAM + "=upstage");
    args.add(key + "=" + input.toAbsolutePath());
    try (Deployable d = dist.start(command, args, dir.resolve(command + ".log"))) {
      int status = d.awaitExit(Duration.ofSeconds(120));
      double s = (System.nanoTime() - d.startedNanos()) / 1e9;
      if (status != 0) {
        throw new IllegalStateException(command + " exited with " + status + ":\n" + d.logText());
      }
      System.out.printf(
          "%-18s %14.1f   (one-shot: exec to exit over a %s)%n", command, s, input.getFileName());
    }
  }
}
