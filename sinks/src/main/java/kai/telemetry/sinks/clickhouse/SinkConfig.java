package kai.telemetry.sinks.clickhouse;

import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Settings of the ClickHouse sink. */
public final class SinkConfig extends AbstractConfig {
  public static final String CLICKHOUSE_URL = "clickhouse.url";
  public static final String CLICKHOUSE_HTTP_URL = "clickhouse.http.url";
  public static final String CLICKHOUSE_DATABASE = "clickhouse.database";
  public static final String CLICKHOUSE_USER = "clickhouse.user";
  public static final String CLICKHOUSE_PASSWORD = "clickhouse.password";
  public static final String GROUP_ID = "sink.group.id";

  /** The Kafka client id of the sink's consumer; its dead-letter producer adds "-dlq". */
  public static final String CLIENT_ID = "kai-clickhouse-sink";

  public static final String BATCH_MAX_ROWS = "sink.batch.max.rows";
  public static final String BATCH_MAX_MS = "sink.batch.max.ms";
  public static final String INSERT_TIMEOUT_MS = "sink.insert.timeout.ms";
  public static final String RETRY_MAX_MS = "sink.retry.max.ms";
  public static final String MAX_POLL_INTERVAL_MS = "sink.max.poll.interval.ms";
  public static final String METRICS_PORT = "sink.metrics.port";
  public static final String RETENTION_GPU_SAMPLES_DAYS = "sink.retention.gpu_samples.days";
  public static final String RETENTION_REJECTS_DAYS = "sink.retention.collector_rejects.days";
  public static final String INSERT_PATH = "sink.insert.path";
  public static final String INSERT_PATH_JDBC = "jdbc";
  public static final String INSERT_PATH_NATIVE = "http-native";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              CLICKHOUSE_URL,
              Type.STRING,
              "jdbc:clickhouse:http://127.0.0.1:18123",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "JDBC URL of ClickHouse (clickhouse-jdbc v2, HTTP), for sink.insert.path=jdbc.")
          .define(
              CLICKHOUSE_HTTP_URL,
              Type.STRING,
              "http://127.0.0.1:18123",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "HTTP URL of the same ClickHouse: migrations, reads and Native inserts.")
          .define(
              CLICKHOUSE_DATABASE,
              Type.STRING,
              "kai",
              Importance.HIGH,
              "Database the sink creates and writes.")
          .define(CLICKHOUSE_USER, Type.STRING, "default", Importance.MEDIUM, "ClickHouse user.")
          .define(CLICKHOUSE_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "ClickHouse password.")
          .define(
              GROUP_ID,
              Type.STRING,
              "kai-clickhouse-sink",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Consumer group; its committed offsets are the sink's progress.")
          .define(
              BATCH_MAX_ROWS,
              Type.INT,
              10_000,
              Range.between(1, 1_000_000),
              Importance.MEDIUM,
              "Flush when this many rows are buffered.")
          .define(
              BATCH_MAX_MS,
              Type.LONG,
              250L,
              Range.between(10, 600_000),
              Importance.MEDIUM,
              "Flush at least this often (ms), so dashboards stay live.")
          .define(
              INSERT_TIMEOUT_MS,
              Type.INT,
              30_000,
              Range.between(1_000, 600_000),
              Importance.MEDIUM,
              "Bound on one insert (socket timeout).")
          .define(
              RETRY_MAX_MS,
              Type.LONG,
              180_000L,
              Range.between(0, 3_600_000),
              Importance.MEDIUM,
              "How long retriable insert failures (ClickHouse down, timeouts) are retried with"
                  + " backoff before the sink stops without committing.")
          .define(
              MAX_POLL_INTERVAL_MS,
              Type.INT,
              600_000,
              Range.between(10_000, 3_600_000),
              Importance.LOW,
              "Consumer max.poll.interval.ms; must exceed the retry budget plus one insert.")
          .define(
              INSERT_PATH,
              Type.STRING,
              INSERT_PATH_NATIVE,
              ConfigDef.ValidString.in(INSERT_PATH_NATIVE, INSERT_PATH_JDBC),
              Importance.MEDIUM,
              "How batches are inserted: 'http-native' (one Native-format insert over HTTP per"
                  + " table, rows transcoded straight from the Avro bytes: exact doubles, less CPU)"
                  + " or 'jdbc' (clickhouse-jdbc v2 batched prepared statements binding numbers and"
                  + " strings). See README Figures.")
          .define(
              METRICS_PORT,
              Type.INT,
              9464,
              Range.between(-1, 65_535),
              Importance.MEDIUM,
              "Port serving the sink's metrics for Prometheus at /metrics; 0 picks a free port,"
                  + " -1 serves none.")
          .define(
              RETENTION_GPU_SAMPLES_DAYS,
              Type.INT,
              Retention.DEFAULT_DAYS.get(Tables.GPU_SAMPLES),
              Range.between(0, 100_000),
              Importance.MEDIUM,
              "Days gpu_samples keeps (whole months are dropped once past it; 0 keeps all). The"
                  + " fleet KPIs computed from them are kept for good.")
          .define(
              RETENTION_REJECTS_DAYS,
              Type.INT,
              Retention.DEFAULT_DAYS.get(Tables.COLLECTOR_REJECTS),
              Range.between(0, 100_000),
              Importance.MEDIUM,
              "Days collector_rejects keeps (whole months; 0 keeps all).");

  /** Retention in days by table, as configured. */
  public Map<String, Integer> retentionDays() {
    return Map.of(
        Tables.GPU_SAMPLES,
        getInt(RETENTION_GPU_SAMPLES_DAYS),
        Tables.COLLECTOR_REJECTS,
        getInt(RETENTION_REJECTS_DAYS));
  }

  public SinkConfig(Map<String, ?> values) {
    super(DEF, values, false);
    Tables.identifier(getString(CLICKHOUSE_DATABASE));
    long worstFlush = getLong(RETRY_MAX_MS) + 2L * getInt(INSERT_TIMEOUT_MS);
    if (worstFlush >= getInt(MAX_POLL_INTERVAL_MS)) {
      throw new ConfigException(
          RETRY_MAX_MS
              + " + 2 x "
              + INSERT_TIMEOUT_MS
              + " ("
              + worstFlush
              + " ms) must be below "
              + MAX_POLL_INTERVAL_MS
              + " ("
              + getInt(MAX_POLL_INTERVAL_MS)
              + " ms), or the group evicts the sink in the middle of a retry and the batch is"
              + " written twice");
    }
  }

  public static SinkConfig fromArgs(String[] args) {
    return new SinkConfig(ConfigLoader.load(DEF, args, System.getenv()));
  }

  public Topics topics() {
    return CommonSettings.topics(this);
  }

  public String database() {
    return getString(CLICKHOUSE_DATABASE);
  }

  public Map<String, Object> serdeConfig() {
    return CommonSettings.serdeConfig(this);
  }

  /** The sink's consumer: its group, bytes in, polls sized to a batch. */
  public Map<String, Object> consumerConfig() {
    // KPI topics are written in Streams transactions: the builder requires read_committed.
    return KafkaClients.of(this)
        .consumer(
            CLIENT_ID,
            getString(GROUP_ID),
            Map.of(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                Math.min(getInt(BATCH_MAX_ROWS), 5_000),
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                getInt(MAX_POLL_INTERVAL_MS),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class));
  }

  /** The producer of the sink's dead letters. */
  public Map<String, Object> deadLetterProducerConfig() {
    return KafkaClients.of(this).producer(CLIENT_ID + "-dlq");
  }
}
