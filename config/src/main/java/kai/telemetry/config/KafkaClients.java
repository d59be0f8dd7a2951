package kai.telemetry.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * The one builder of every Kafka client config in the product: producers, consumers, admin clients
 * and Kafka Streams. Each config is, in order: the pipeline's defaults for that kind of client, the
 * caller's settings, then the user's {@code kafka.*} overrides (so security settings such as {@code
 * kafka.security.protocol} or {@code kafka.sasl.jaas.config} reach every client), then the settings
 * the caller's delivery guarantee depends on. An override that contradicts one of those is refused
 * with a message, never silently ignored.
 */
public final class KafkaClients {
  private final AbstractConfig config;

  private KafkaClients(AbstractConfig config) {
    this.config = config;
  }

  /** Client configs built from a deployable's config, which must define {@link CommonSettings}. */
  public static KafkaClients of(AbstractConfig config) {
    return new KafkaClients(config);
  }

  /** The user's {@code kafka.*} settings, without the prefix. */
  public Map<String, Object> overrides() {
    return config.originalsWithPrefix(ConfigLoader.CLIENT_OVERRIDE_PREFIX);
  }

  /**
   * A producer: idempotent, acks=all (both required), lz4, batched; keys and values are bytes or
   * whatever serializers the caller passes to the producer's constructor.
   */
  public Map<String, Object> producer(String clientId, Map<String, ?> settings) {
    Map<String, Object> p = base(clientId);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    return finish(
        p,
        settings,
        Map.of(
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", ProducerConfig.ACKS_CONFIG, "all"));
  }

  /** A producer with the pipeline's defaults and nothing of the caller's. */
  public Map<String, Object> producer(String clientId) {
    return producer(clientId, Map.of());
  }

  /**
   * A consumer that reads only committed data and commits its offsets itself (both required);
   * {@code groupId} may be null for a consumer that assigns its partitions.
   */
  public Map<String, Object> consumer(String clientId, String groupId, Map<String, ?> settings) {
    Map<String, Object> c = base(clientId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, Object> required = new HashMap<>();
    required.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    required.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    if (groupId != null) {
      required.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    return finish(c, settings, required);
  }

  /** An admin client. */
  public Map<String, Object> admin(String clientId) {
    return finish(base(clientId), Map.of(), Map.of());
  }

  /**
   * A Kafka Streams application: {@code settings} hold the job's own Streams settings; the
   * application id is required as given, since it names the job's group and internal topics.
   */
  public Properties streams(String applicationId, Map<String, ?> settings) {
    Map<String, Object> s = new HashMap<>();
    s.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    Properties p = new Properties();
    p.putAll(finish(s, settings, Map.of("application.id", applicationId)));
    return p;
  }

  private String bootstrapServers() {
    return config.getString(CommonSettings.BOOTSTRAP_SERVERS);
  }

  private Map<String, Object> base(String clientId) {
    Map<String, Object> m = new HashMap<>();
    m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    m.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    return m;
  }

  private Map<String, Object> finish(
      Map<String, Object> defaults, Map<String, ?> settings, Map<String, ?> required) {
    Map<String, Object> m = new HashMap<>(defaults);
    m.putAll(settings);
    Map<String, Object> overrides = overrides();
    for (Map.Entry<String, ?> r : required.entrySet()) {
      Object asked = overrides.get(r.getKey());
      if (asked != null && !asked.toString().trim().equalsIgnoreCase(r.getValue().toString())) {
        throw new ConfigException(
            ConfigLoader.CLIENT_OVERRIDE_PREFIX + r.getKey(),
            asked,
            "this client needs "
                + r.getKey()
                + "="
                + r.getValue()
                + " for its delivery guarantee; remove the override");
      }
    }
    m.putAll(overrides);
    m.putAll(required);
    return m;
  }
}
