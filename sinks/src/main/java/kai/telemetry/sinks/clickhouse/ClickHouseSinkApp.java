package kai.telemetry.sinks.clickhouse;

import java.time.Duration;
import java.util.List;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.BenchmarkStanding;
import kai.telemetry.kpis.PhaseScoreboard;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ClickHouse sink as a process: migrations, then the consume-and-insert loop until stopped. */
public final class ClickHouseSinkApp {
  private static final Logger log = LoggerFactory.getLogger(ClickHouseSinkApp.class);

  private ClickHouseSinkApp() {}

  /** Which topic lands in which table. */
  public static List<TableRoute<?>> routes(Topics topics, java.util.Map<String, ?> serdeConfig) {
    return List.of(
        TableRoute.of(
            topics.gpuSamples.name(),
            Tables.GPU_SAMPLES,
            topics.gpuSamples.valueSerde(serdeConfig).deserializer(),
            GpuSample.getClassSchema()),
        TableRoute.of(
            topics.teamFleetMinute.name(),
            Tables.TEAM_FLEET_1M,
            topics.teamFleetMinute.valueSerde(serdeConfig).deserializer(),
            TeamFleetMinute.getClassSchema()),
        TableRoute.of(
            topics.clusterFleetMinute.name(),
            Tables.CLUSTER_FLEET_1M,
            topics.clusterFleetMinute.valueSerde(serdeConfig).deserializer(),
            TeamFleetMinute.getClassSchema()),
        TableRoute.of(
            topics.runMinute.name(),
            Tables.RUN_1M,
            topics.runMinute.valueSerde(serdeConfig).deserializer(),
            RunMinute.getClassSchema()),
        TableRoute.of(
            topics.benchmarkStandings.name(),
            Tables.BENCHMARK_STANDINGS,
            topics.benchmarkStandings.valueSerde(serdeConfig).deserializer(),
            BenchmarkStanding.getClassSchema()),
        TableRoute.of(
            topics.phaseScoreboard.name(),
            Tables.PHASE_SCOREBOARD,
            topics.phaseScoreboard.valueSerde(serdeConfig).deserializer(),
            PhaseScoreboard.getClassSchema()),
        TableRoute.of(
            topics.alerts.name(),
            Tables.ALERTS,
            topics.alerts.valueSerde(serdeConfig).deserializer(),
            Alert.getClassSchema()));
  }

  /** Applies the migrations and builds a sink ready to {@link ClickHouseSink#run()}. */
  public static ClickHouseSink create(SinkConfig config) {
    String user = config.getString(SinkConfig.CLICKHOUSE_USER);
    String password = config.getPassword(SinkConfig.CLICKHOUSE_PASSWORD).value();
    try (ClickHouseHttp http =
        new ClickHouseHttp(config.getString(SinkConfig.CLICKHOUSE_HTTP_URL), user, password)) {
      List<Integer> applied = Migrations.apply(http::execute, config.database());
      log.info(
          "ClickHouse {} database {}: {}",
          http.version(),
          config.database(),
          applied.isEmpty() ? "schema up to date" : "applied migrations " + applied);
    }
    Topics topics = config.topics();
    return new ClickHouseSink(
        new KafkaConsumer<>(config.consumerConfig()),
        routes(topics, config.serdeConfig()),
        new JdbcRowWriter(
            config.getString(SinkConfig.CLICKHOUSE_URL),
            user,
            password,
            config.database(),
            config.getInt(SinkConfig.INSERT_TIMEOUT_MS)),
        new KafkaDeadLetters(
            config.getString(CommonSettings.BOOTSTRAP_SERVERS), topics.sinkDeadLetters),
        new ClickHouseSink.Settings(
            config.getInt(SinkConfig.BATCH_MAX_ROWS),
            config.getLong(SinkConfig.BATCH_MAX_MS),
            config.getLong(SinkConfig.RETRY_MAX_MS)),
        Thread::sleep);
  }

  public static void main(String[] args) {
    SinkConfig config = SinkConfig.fromArgs(args);
    ClickHouseSink sink = create(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    if (!sink.stopAndAwait(Duration.ofSeconds(60))) {
                      log.warn("sink did not finish its last flush in 60 s");
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    try {
      sink.run();
    } finally {
      sink.close();
    }
  }
}
