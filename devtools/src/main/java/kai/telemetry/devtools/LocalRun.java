package kai.telemetry.devtools;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.producers.simulator.ProgramSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.KafkaSasl;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on the local stack: broker, registry and ClickHouse, the GPU simulator in real
 * time, the fleet KPI job and the ClickHouse sink; prints live per-team figures read back from
 * ClickHouse until Ctrl-C, then stops everything in order.
 *
 * <p>Arguments are simulator settings as key=value (e.g. simulator.gpus.per.team=64).
 */
public final class LocalRun {
  private static final Logger log = LoggerFactory.getLogger(LocalRun.class);
  private static final String DATABASE = ClickHouseUser.DATABASE;

  /** Next to the stack's fixed ports (19xxx), away from the usual 9464. */
  static final int SINK_METRICS_PORT = 19464;

  private static final Duration REFRESH = Duration.ofSeconds(5);

  private LocalRun() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    StackHome home = StackHome.locate();
    Path runDir = home.dir().resolve("local");
    LocalStack.StackPorts ports = LocalStack.StackPorts.localRun();

    // The simulator's own settings, checked now; its connection comes with its principal.
    Map<String, Object> simArgs = ConfigLoader.load(SimulatorConfig.DEF, args, System.getenv());
    new SimulatorConfig(simArgs);

    // The registry keeps schemas in memory, so schema ids in an earlier run's topics would not
    // resolve: each run starts a new broker (and so new Streams state). ClickHouse keeps history.
    deleteRecursively(runDir.resolve("kafka"));
    deleteRecursively(runDir.resolve("streams-state"));

    out.println(
        "kai-telemetry: starting the local stack under "
            + runDir
            + " (log: "
            + System.getProperty("kai.log.file", "kai-local.log")
            + ")");
    LocalStack stack = LocalStack.start(home, runDir, ports);
    PipelineRunner pipeline;
    ProgramSimulator simulator;
    try {
      pipeline =
          PipelineRunner.start(
              stack,
              new PipelineRunner.Options(
                  "",
                  DATABASE,
                  Duration.ofMinutes(2),
                  runDir.resolve("streams-state"),
                  SINK_METRICS_PORT));
      Map<String, Object> simSettings = pipeline.simulatorSettings();
      simSettings.putAll(simArgs);
      simulator = new ProgramSimulator(new SimulatorConfig(simSettings));
      out.println(
          "kai-telemetry: Kafka on "
              + stack.bootstrapServers()
              + " authenticates (SASL/SCRAM-SHA-512): each stage runs as its own principal; the"
              + " administrator is '"
              + KafkaSasl.ADMIN
              + "', password in "
              + runDir.resolve("kafka").resolve("admin.password"));
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
    Thread simThread = new Thread(simulator::runRealtime, "simulator");
    simThread.start();

    CountDownLatch stopped = new CountDownLatch(1);
    Thread console = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println(
                      "\nstopping: simulator, intake and KPI jobs, sink (final flush), then the stack...");
                  console.interrupt();
                  simulator.stop();
                  try {
                    simThread.join(10_000);
                  } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                  }
                  simulator.close();
                  pipeline.close();
                  stack.close();
                  out.println(
                      "stopped cleanly; ClickHouse data kept under "
                          + runDir.resolve("clickhouse"));
                  stopped.countDown();
                },
                "local-run-shutdown"));

    out.printf(
        "%nrunning: %d GPUs in %d teams, one sample per GPU every %d ms. Ctrl-C stops.%n"
            + "query meanwhile:  clickhouse-client --port %d --user analyst --password analyst-local -q \"SELECT * FROM %s.v_team_fleet_1m ORDER BY window_start_ms DESC, team LIMIT 10\"%n"
            + "             or:  curl -s -u analyst:analyst-local 'http://127.0.0.1:%d/' --data-binary \"SELECT team, count() FROM %s.gpu_samples GROUP BY team FORMAT PrettyCompact\"%n"
            + "sink metrics:     curl -s http://127.0.0.1:%d/metrics%n%n",
        simulator.fleet().gpus().size(),
        simulator.fleet().gpus().stream().map(g -> g.team().id()).distinct().count(),
        new SimulatorConfig(simArgs).getLong(SimulatorConfig.INTERVAL_MS),
        ports.clickhouseTcp(),
        DATABASE,
        ports.clickhouseHttp(),
        DATABASE,
        SINK_METRICS_PORT);
    try (ClickHouseHttp ch =
            new ClickHouseHttp(
                stack.clickhouse().httpUrl(),
                ClickHouseUser.ANALYST.user(),
                ClickHouseUser.ANALYST.localPassword());
        org.apache.kafka.clients.admin.Admin admin = stack.kafka().admin()) {
      LiveFigures figures = new LiveFigures(ch, DATABASE);
      while (!Thread.currentThread().isInterrupted()) {
        try {
          out.print(figures.render(simulator.sent(), pipeline, admin));
        } catch (RuntimeException e) {
          log.warn("cannot read live figures: {}", e.toString());
        }
        try {
          Thread.sleep(REFRESH.toMillis());
        } catch (InterruptedException e) {
          break;
        }
      }
    }
    stopped.await();
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
