package kai.telemetry.sinks.clickhouse;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
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
        route(topics.gpuSamples, Tables.GPU_SAMPLES, serdeConfig, true),
        route(topics.trainingSteps, Tables.TRAINING_STEPS, serdeConfig, true),
        route(topics.trainingScalars, Tables.TRAINING_SCALARS, serdeConfig, true),
        route(topics.runLifecycle, Tables.RUN_LIFECYCLE, serdeConfig, true),
        route(topics.benchmarkResults, Tables.BENCHMARK_RESULTS, serdeConfig, true),
        route(topics.evaluationScores, Tables.EVALUATION_SCORES, serdeConfig),
        route(topics.derivativeModels, Tables.DERIVATIVE_MODELS, serdeConfig),
        route(topics.teams, Tables.TEAMS, serdeConfig),
        route(topics.benchmarks, Tables.BENCHMARKS, serdeConfig),
        route(topics.evaluationRules, Tables.EVALUATION_RULES, serdeConfig),
        route(topics.collectorRejects, Tables.COLLECTOR_REJECTS, serdeConfig),
        route(topics.teamFleetMinute, Tables.TEAM_FLEET_1M, serdeConfig),
        route(topics.clusterFleetMinute, Tables.CLUSTER_FLEET_1M, serdeConfig),
        route(topics.runMinute, Tables.RUN_1M, serdeConfig),
        route(topics.benchmarkStandings, Tables.BENCHMARK_STANDINGS, serdeConfig),
        route(topics.phaseScoreboard, Tables.PHASE_SCOREBOARD, serdeConfig),
        route(topics.phaseStandings, Tables.PHASE_STANDINGS, serdeConfig),
        route(topics.alerts, Tables.ALERTS, serdeConfig));
  }

  private static <V extends SpecificRecord> TableRoute<V> route(
      Topic<String, V> topic, String table, java.util.Map<String, ?> serdeConfig) {
    return route(topic, table, serdeConfig, false);
  }

  /** {@code teamWritten}: a topic teams write directly, so its ids are checked before landing. */
  private static <V extends SpecificRecord> TableRoute<V> route(
      Topic<String, V> topic,
      String table,
      java.util.Map<String, ?> serdeConfig,
      boolean teamWritten) {
    return TableRoute.of(
        topic.name(),
        table,
        topic.valueSerde(serdeConfig).deserializer(),
        SpecificData.get().getSchema(topic.valueAvroType().orElseThrow()),
        teamWritten);
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
      sweepRetention(http, config);
    }
    Topics topics = config.topics();
    List<TableRoute<?>> routes = routes(topics, config.serdeConfig());
    ClickHouseSink sink =
        new ClickHouseSink(
            new KafkaConsumer<>(config.consumerConfig()),
            routes,
            writer(config, user, password, routes),
            new KafkaDeadLetters(config.deadLetterProducerConfig(), topics.sinkDeadLetters),
            new ClickHouseSink.Settings(
                config.getInt(SinkConfig.BATCH_MAX_ROWS),
                config.getLong(SinkConfig.BATCH_MAX_MS),
                config.getLong(SinkConfig.RETRY_MAX_MS)),
            null, // pauses between retries end when the sink is asked to stop
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "clickhouse-sink-insert");
                  t.setDaemon(true);
                  return t;
                }));
    int port = config.getInt(SinkConfig.METRICS_PORT);
    if (port >= 0) {
      try {
        log.info("sink metrics for Prometheus on port {} at /metrics", sink.metrics().serve(port));
      } catch (RuntimeException e) {
        sink.close();
        throw e;
      }
    }
    return sink;
  }

  private static RowWriter<?> writer(
      SinkConfig config, String user, String password, List<TableRoute<?>> routes) {
    int timeoutMs = config.getInt(SinkConfig.INSERT_TIMEOUT_MS);
    return switch (config.getString(SinkConfig.INSERT_PATH)) {
      case SinkConfig.INSERT_PATH_JDBC ->
          new JdbcRowWriter(
              config.getString(SinkConfig.CLICKHOUSE_URL),
              user,
              password,
              config.database(),
              timeoutMs);
      default ->
          new HttpNativeWriter(
              config.getString(SinkConfig.CLICKHOUSE_HTTP_URL),
              user,
              password,
              config.database(),
              timeoutMs,
              routes);
    };
  }

  /** Drops the raw months past their retention, saying what it dropped. */
  static void sweepRetention(ClickHouseHttp http, SinkConfig config) {
    List<String> dropped =
        Retention.sweep(
            http::execute, config.database(), config.retentionDays(), Retention.today());
    if (!dropped.isEmpty()) {
      log.info("retention {}: dropped {}", config.retentionDays(), dropped);
    }
  }

  public static void main(String[] args) {
    SinkConfig config = SinkConfig.fromArgs(args);
    ClickHouseSink sink = create(config);
    // Retention is swept at start and then daily, on a thread of its own.
    java.util.concurrent.ScheduledExecutorService retention =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "clickhouse-retention");
              t.setDaemon(true);
              return t;
            });
    retention.scheduleAtFixedRate(
        () -> {
          try (ClickHouseHttp http =
              new ClickHouseHttp(
                  config.getString(SinkConfig.CLICKHOUSE_HTTP_URL),
                  config.getString(SinkConfig.CLICKHOUSE_USER),
                  config.getPassword(SinkConfig.CLICKHOUSE_PASSWORD).value())) {
            sweepRetention(http, config);
          } catch (RuntimeException e) {
            log.warn("retention sweep failed, tried again tomorrow: {}", e.toString());
          }
        },
        1,
        1,
        java.util.concurrent.TimeUnit.DAYS);
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
