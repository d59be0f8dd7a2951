package kai.telemetry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  private static final ConfigDef DEF = CommonSettings.define(new ConfigDef());

  private static KafkaClients clients(String... args) {
    return KafkaClients.of(new AbstractConfig(DEF, ConfigLoader.load(DEF, args, Map.of())));
  }

  private static final String[] SECURED = {
    "bootstrap.servers=broker:9093",
    "kafka.security.protocol=SASL_SSL",
    "kafka.sasl.mechanism=SCRAM-SHA-512",
    "kafka.sasl.jaas.config=scram required;"
  };

  @Test
  void securitySettingsReachEveryKindOfClient() {
    KafkaClients k = clients(SECURED);
    Map<String, Object> producer = k.producer("p");
    Map<String, Object> consumer = k.consumer("c", "g", Map.of());
    Map<String, Object> admin = k.admin("a");
    Properties streams = k.streams("kai-fleet-kpi-job", Map.of("commit.interval.ms", 1000L));
    for (Map<Object, Object> client :
        List.<Map<Object, Object>>of(
            new HashMap<>(producer), new HashMap<>(consumer), new HashMap<>(admin), streams)) {
      assertThat(client)
          .containsEntry("bootstrap.servers", "broker:9093")
          .containsEntry("security.protocol", "SASL_SSL")
          .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
          .containsEntry("sasl.jaas.config", "scram required;");
    }
    assertThat(streams)
        .containsEntry("application.id", "kai-fleet-kpi-job")
        .containsEntry("commit.interval.ms", 1000L);
    assertThat(consumer).containsEntry("group.id", "g").containsEntry("client.id", "c");
  }

  @Test
  void environmentVariablesAreOverridesToo() {
    Map<String, Object> values =
        ConfigLoader.load(
            DEF, new String[0], Map.of("KAI_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"));
    Map<String, Object> admin = KafkaClients.of(new AbstractConfig(DEF, values)).admin("a");
    assertThat(admin).containsEntry("security.protocol", "SASL_PLAINTEXT");
  }

  @Test
  void theUsersOverridesWinOverDefaultsAndTheCallersSettings() {
    KafkaClients k = clients("kafka.linger.ms=5", "kafka.max.poll.records=10");
    assertThat(k.producer("p")).containsEntry("linger.ms", "5");
    assertThat(k.consumer("c", null, Map.of("max.poll.records", 500)))
        .containsEntry("max.poll.records", "10")
        .doesNotContainKey("group.id");
  }

  @Test
  void deliveryGuaranteesCannotBeOverriddenAway() {
    assertThat(clients().producer("p"))
        .containsEntry("enable.idempotence", "true")
        .containsEntry("acks", "all");
    assertThat(clients().consumer("c", "g", Map.of()))
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("enable.auto.commit", "false");
    assertThatThrownBy(() -> clients("kafka.acks=1").producer("p"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.acks")
        .hasMessageContaining("acks=all");
    assertThatThrownBy(
            () -> clients("kafka.isolation.level=read_uncommitted").consumer("c", "g", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("read_committed");
    assertThatThrownBy(() -> clients("kafka.group.id=other").consumer("c", "g", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group.id=g");
    assertThatThrownBy(() -> clients("kafka.application.id=x").streams("kai-alerts-job", Map.of()))
        .isInstanceOf(ConfigException.class);
    // Saying what is required anyway is fine.
    assertThat(clients("kafka.acks=all").producer("p")).containsEntry("acks", "all");
  }
}
