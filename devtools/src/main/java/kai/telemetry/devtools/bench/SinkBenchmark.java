package kai.telemetry.devtools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.ClickHouseSinkApp;
import kai.telemetry.sinks.clickhouse.Migrations;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.sinks.clickhouse.Tables;
import kai.telemetry.sinks.clickhouse.TrainingCurves;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;

/**
 * ClickHouse sink throughput next to the server's own limit, and the training-curve query on a long
 * run. The sink runs in a JVM of its own (as deployed) and drains a topic of GPU samples into
 * {@code gpu_samples}; then clickhouse-client bulk-inserts the very same rows (exported as
 * TabSeparated) into an empty copy of the table on the same server. Both rates and their ratio are
 * printed. Then a 1,000,000-step run is written to {@code training_steps} (the curve views fill as
 * in production) and its downsampled curve is queried 20 times.
 *
 * <p>Arguments: {@code records=N} (default 1,000,000), {@code gpus=N} (default 2,000), {@code
 * steps=N} (default 1,000,000), {@code jvm="..."} (the sink JVM's options; default {@code -Xmx1g},
 * as bin/kai runs it) and {@code sink.*} settings passed to the sink.
 */
public final class SinkBenchmark {
  private SinkBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    long records = Long.parseLong(a.getOrDefault("records", "1000000"));
    int gpus = Integer.parseInt(a.getOrDefault("gpus", "2000"));
    long steps = Long.parseLong(a.getOrDefault("steps", "1000000"));
    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench/sink-" + ProcessHandle.current().pid());
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free());
        ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Topics topics = Topics.withPrefix("bench.");
      stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
      Map<String, Object> common = new HashMap<>();
      common.putAll(stack.deployableSettings());
      common.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
      common.put(CommonSettings.TOPIC_PREFIX, "bench.");
      BenchInput.produceGpuSamples(new SimulatorConfig(common), topics.gpuSamples, records, gpus);
      System.out.printf(
          "sink benchmark: %,d GPU samples of %,d GPUs in the topic; ClickHouse %s%n",
          records, gpus, ch.version());

      SinkRate sink = runSink(stack, ch, dir, a, records);
      System.out.printf(
          "sink (own JVM, insert path %s): %,12.0f rows/s in steady state (after the first fifth"
              + " of the rows), %,.0f rows/s over the whole run%n",
          a.getOrDefault(
              SinkConfig.INSERT_PATH,
              SinkConfig.DEF.defaultValues().get(SinkConfig.INSERT_PATH).toString()),
          sink.steady(),
          sink.whole());
      settle(ch);
      // The rows in the order the sink receives them: event time, as the collectors send them.
      double clientRate =
          clientBulkInsert(stack, ch, dir, records, "bench_client", "ORDER BY ts_ms, gpu_uuid");
      // The same rows pre-sorted by the table's key, which spares the server its sort: a best
      // case no stream can offer, printed for comparison.
      double sortedRate = clientBulkInsert(stack, ch, dir, records, "bench_client_sorted", "");
      System.out.printf(
          "clickhouse-client bulk INSERT (TSV file, same rows in arrival order): %,12.0f rows/s%n",
          clientRate);
      System.out.printf(
          "clickhouse-client bulk INSERT (TSV file, pre-sorted by the table key): %,12.0f rows/s"
              + " (steady-state ratio to it: %.2f)%n",
          sortedRate, sink.steady() / sortedRate);
      System.out.printf(
          "ratio: %.2f in steady state (target >= 0.70), %.2f over the whole run%n",
          sink.steady() / clientRate, sink.whole() / clientRate);

      curveQuery(ch, steps);
    }
    BenchInput.deleteTree(
        dir); // ~0.5 GB of ClickHouse parts and broker logs; kept when a run fails
  }

  /**
   * Rows per second landed: from the first row to the last (start-up and migrations excluded), and
   * in steady state, from the fifth of the rows to the last (the JVM's warm-up excluded too).
   */
  private record SinkRate(double whole, double steady) {}

  /** Runs the sink in its own JVM until every row has landed. */
  private static SinkRate runSink(
      LocalStack stack, ClickHouseHttp ch, Path dir, Map<String, String> a, long records)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(stack.deployableArgs());
    cmd.add(CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl());
    cmd.add(CommonSettings.TOPIC_PREFIX + "=bench.");
    cmd.add(SinkConfig.CLICKHOUSE_URL + "=" + stack.clickhouse().jdbcUrl());
    cmd.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
    cmd.add(SinkConfig.CLICKHOUSE_DATABASE + "=bench");
    cmd.add(SinkConfig.METRICS_PORT + "=0");
    a.forEach(
        (k, v) -> {
          if (k.startsWith("sink.")) {
            cmd.add(k + "=" + v);
          }
        });
    Path log = dir.resolve("sink.log");
    Process sink =
        BenchInput.childJvm(
                a.getOrDefault("jvm", BenchInput.DEFAULT_JVM_OPTIONS),
                ClickHouseSinkApp.class.getName(),
                cmd)
            .redirectOutput(log.toFile())
            .start();
    try {
      long firstRows = 0;
      long firstNs = 0;
      long warmRows = 0;
      long warmNs = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      long rows = 0;
      while (rows < records) {
        if (!sink.isAlive()) {
          throw new IllegalStateException("the sink exited; see " + log);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the sink did not land every row in 30 min");
        }
        rows = landed(ch);
        if (rows > 0 && firstNs == 0) {
          firstNs = System.nanoTime();
          firstRows = rows;
        }
        if (rows >= records / 5 && warmNs == 0) {
          warmNs = System.nanoTime();
          warmRows = rows;
        }
        Thread.sleep(rows == 0 ? 50 : 20);
      }
      long end = System.nanoTime();
      return new SinkRate(
          (rows - firstRows) / ((end - firstNs) / 1e9), (rows - warmRows) / ((end - warmNs) / 1e9));
    } finally {
      sink.destroy();
      sink.waitFor();
    }
  }

  /**
   * Rows landed in the sink's table, from the parts' metadata: polled every 20 ms, a {@code
   * count()} (which reads a column on 18.16) would itself load the server it measures.
   */
  private static long landed(ClickHouseHttp ch) {
    return ch.count(
        "SELECT toUInt64(sum(rows)) FROM system.parts WHERE active AND database = 'bench'"
            + " AND table = '"
            + Tables.GPU_SAMPLES
            + "'");
  }

  /**
   * The same rows, exported to a file in {@code order}, bulk-inserted by clickhouse-client into an
   * empty copy of the table in {@code database}.
   */
  private static double clientBulkInsert(
      LocalStack stack, ClickHouseHttp ch, Path dir, long records, String database, String order)
      throws Exception {
    Migrations.apply(ch::execute, database);
    Path file = dir.resolve(database + ".tsv");
    Files.writeString(
        file, ch.execute("SELECT * FROM bench.gpu_samples " + order + " FORMAT TabSeparated"));
    long t0 = System.nanoTime();
    Process client =
        new ProcessBuilder(
                "clickhouse-client",
                "--port",
                Integer.toString(stack.clickhouse().tcpPort()),
                "--query",
                "INSERT INTO " + database + ".gpu_samples FORMAT TabSeparated")
            .redirectInput(file.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("client.log").toFile())
            .start();
    if (client.waitFor() != 0) {
      throw new IOException("clickhouse-client failed; see " + dir.resolve("client.log"));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long landed = ch.count("SELECT count() FROM " + database + ".gpu_samples");
    if (landed != records) {
      throw new IllegalStateException("clickhouse-client landed " + landed + " of " + records);
    }
    Files.delete(file);
    return records / seconds;
  }

  /** Waits for the sink's table to finish merging, so its merges do not slow the client. */
  private static void settle(ClickHouseHttp ch) throws InterruptedException {
    ch.execute("OPTIMIZE TABLE bench.gpu_samples FINAL");
    long quiet = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (ch.count("SELECT count() FROM system.merges") > 0 && System.nanoTime() < quiet) {
      Thread.sleep(100);
    }
  }

  private static void curveQuery(ClickHouseHttp ch, long steps) {
    long t0 = System.nanoTime();
    ch.execute(
        "INSERT INTO bench.training_steps (team, run_id, step, ts_ms, tokens, loss, grad_norm,"
            + " source) SELECT 'upstage', 'bench-run', toInt64(number),"
            + " toInt64(1760000000000 + number * 2000), toInt64(number * 4194304),"
            + " 1.8 + 9.0 / sqrt(number + 1) + if(number = "
            + spikeStep(steps)
            + ", 5.0, 0.0), 1.0, 'bench'"
            + " FROM system.numbers LIMIT "
            + steps,
        java.time.Duration.ofMinutes(10));
    System.out.printf(
        "training run of %,d steps written (curves included) in %.1f s%n",
        steps, (System.nanoTime() - t0) / 1e9);
    String sql =
        TrainingCurves.sql("bench", "upstage", "bench-run", TrainingCurves.Axis.STEP, 2000);
    List<Double> ms = new ArrayList<>();
    int points = 0;
    double spike = 0;
    for (int i = 0; i < 20; i++) {
      long q0 = System.nanoTime();
      String out = ch.execute(sql + " FORMAT TabSeparated");
      ms.add((System.nanoTime() - q0) / 1e6);
      String[] lines = out.split("\n");
      points = lines.length;
      spike = 0;
      for (String line : lines) { // the band of the bucket holding the spike: x is its last step
        String[] f = line.split("\t");
        if (Long.parseLong(f[0]) >= spikeStep(steps)) {
          spike = Double.parseDouble(f[2]);
          break;
        }
      }
    }
    ms.sort(Double::compare);
    System.out.printf(
        "curve query (step axis): %d points, max loss %.2f in the bucket of the spike at step %,d"
            + " (%s); median %.1f ms, slowest %.1f ms over 20 runs (target < 100 ms,"
            + " <= 2,000 points)%n",
        points,
        spike,
        spikeStep(steps),
        spike > 6.0 ? "kept" : "LOST: hidden by downsampling",
        ms.get(ms.size() / 2),
        ms.get(ms.size() - 1));

    // The same curve smoothed at query time, as the dashboard draws it (W&B's time-weighted EMA).
    String smoothed =
        kai.telemetry.sinks.clickhouse.CurveSmoothing.sql(
            "SELECT 'upstage/bench-run' AS run, x, loss_last, loss_min, loss_max FROM ("
                + sql
                + ")",
            "'twema'",
            "0.9");
    List<Double> sms = new ArrayList<>();
    int smoothedPoints = 0;
    for (int i = 0; i < 20; i++) {
      long q0 = System.nanoTime();
      smoothedPoints = ch.execute(smoothed + " FORMAT TabSeparated").split("\n").length;
      sms.add((System.nanoTime() - q0) / 1e6);
    }
    sms.sort(Double::compare);
    System.out.printf(
        "smoothed curve query (twema, weight 0.9): %d points; median %.1f ms, slowest %.1f ms over"
            + " 20 runs%n",
        smoothedPoints, sms.get(sms.size() / 2), sms.get(sms.size() - 1));
  }

  /** Where the injected loss spike (+5) sits: late in the run, inside one bucket of any width. */
  private static long spikeStep(long steps) {
    return steps * 777 / 1000;
  }
}
