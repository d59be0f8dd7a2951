package kai.telemetry.stack;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** A Kafka cluster of the stack: the in-process broker, or a container. */
public interface KafkaEndpoint extends AutoCloseable {
  String bootstrapServers();

  /**
   * Settings of a client with the administrator's rights: the bootstrap servers and, where the
   * cluster authenticates, the administrator's credentials. Test harnesses use it; deployables get
   * their own principal's (see {@link KafkaUsers}).
   */
  default Map<String, Object> clientConfig() {
    return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
  }

  /** Stops the broker and starts it again on the same data (a fault tests inject). */
  default void restart() {
    throw new UnsupportedOperationException("this Kafka endpoint cannot be restarted");
  }

  default Admin admin() {
    Map<String, Object> c = new HashMap<>(clientConfig());
    c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    return Admin.create(c);
  }

  /**
   * The local stack keeps every record: tests and the local run write event times far in the past
   * (fixed dates, backfills), which a time retention would delete under the reader. Deployments
   * keep the catalogue's retention (provision-kafka).
   */
  private static Collection<NewTopic> keepEverything(Collection<NewTopic> topics) {
    return topics.stream()
        .map(
            t -> {
              Map<String, String> configs =
                  new HashMap<>(t.configs() == null ? Map.of() : t.configs());
              if (!"compact".equals(configs.get("cleanup.policy"))) {
                configs.put("retention.ms", "-1");
              }
              return new NewTopic(t.name(), t.numPartitions(), t.replicationFactor())
                  .configs(configs);
            })
        .toList();
  }

  /**
   * Creates {@code topics} and returns once every partition answers at its leader. A produce sent
   * the moment creation returns can meet a partition whose leader is not ready yet; an idempotent
   * producer whose first batch is refused that way may then never get past the broker's sequence
   * check, so tests and the local run wait for this first.
   */
  default void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = admin()) {
      admin.createTopics(keepEverything(topics)).all().get();
      Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
      for (NewTopic t : topics) {
        for (int p = 0; p < t.numPartitions(); p++) {
          partitions.put(new TopicPartition(t.name(), p), OffsetSpec.latest());
        }
      }
      Await.until(
          "every new partition to answer at its leader",
          Duration.ofSeconds(60),
          () -> {
            try {
              admin.listOffsets(partitions).all().get();
              return true;
            } catch (Exception e) {
              return false;
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topics: " + e.getCause(), e.getCause());
    }
  }
}
