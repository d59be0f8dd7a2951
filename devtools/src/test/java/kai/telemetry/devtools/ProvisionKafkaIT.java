package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.config.ProvisionKafka;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.KafkaSasl;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** provision-kafka on the real broker: topics, a team's credentials and ACLs, then nothing. */
@ExtendWith(RealStackExtension.class)
class ProvisionKafkaIT {
  private final TestNamespace ns = TestNamespace.of(ProvisionKafkaIT.class);

  @Test
  void provisionsOnceAndThenFindsEverythingInPlace(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Path users = dir.resolve("users.properties");
    String password = KafkaSasl.newPassword();
    Files.writeString(users, "team-upstage=" + password + "\n");
    Map<String, Object> settings = new HashMap<>(stack.deployableSettings()); // the administrator
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(ProvisionKafka.TEAMS, "upstage,nc-ai");
    settings.put(ProvisionKafka.REPLICATION, "1");
    settings.put(ProvisionKafka.USERS_FILE, users.toString());
    Topics topics = Topics.withPrefix(ns.topicPrefix());

    // A deployment's secrets can come from its environment instead of a file.
    Map<String, String> env =
        Map.of(
            ProvisionKafka.userEnvName(ns.topicPrefix() + "kai-" + KafkaAccess.INTAKE_JOB),
            KafkaSasl.newPassword());
    settings.put(ProvisionKafka.APPLICATION_ID_PREFIX, ns.topicPrefix() + "kai");
    ProvisionKafka.Result first =
        ProvisionKafka.run(new AbstractConfig(ProvisionKafka.DEF, settings), env);
    int wanted = topics.all().size() + 2 * topics.team("upstage").all().size(); // two intakes
    assertThat(first.topicsCreated()).hasSize(wanted);
    assertThat(first.topicsCreated()).contains(topics.team("nc-ai").gpuSamples.name());
    assertThat(first.credentialsSet())
        .containsExactly(ns.topicPrefix() + "kai-" + KafkaAccess.INTAKE_JOB, "team-upstage");
    assertThat(first.aclsGranted()).isPositive();

    // The team's collectors can now write their telemetry to their intake, and nothing else.
    Map<String, Object> team =
        new HashMap<>(KafkaSasl.clientConfig(stack.bootstrapServers(), "team-upstage", password));
    team.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    team.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    team.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(team)) {
      byte[] b = {1};
      assertThat(
              p.send(new ProducerRecord<>(topics.team("upstage").gpuSamples.name(), b, b))
                  .get()
                  .offset())
          .isNotNegative();
      assertThatThrownBy(() -> p.send(new ProducerRecord<>(topics.gpuSamples.name(), b, b)).get())
          .hasCauseInstanceOf(AuthorizationException.class);
      assertThatThrownBy(() -> p.send(new ProducerRecord<>(topics.teams.name(), b, b)).get())
          .hasCauseInstanceOf(AuthorizationException.class);
    }

    // Retention as the catalogue says; an operator's drift is set back on the next run.
    try (org.apache.kafka.clients.admin.Admin admin = stack.kafka().admin()) {
      var samples =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.gpuSamples.name());
      assertThat(retention(admin, samples)).isEqualTo(Long.toString(30L * 24 * 3_600_000));
      assertThat(
              retention(
                  admin,
                  new org.apache.kafka.common.config.ConfigResource(
                      org.apache.kafka.common.config.ConfigResource.Type.TOPIC,
                      topics.quarantine.name())))
          .isEqualTo(Long.toString(365L * 24 * 3_600_000));
      admin
          .incrementalAlterConfigs(
              Map.of(
                  samples,
                  List.of(
                      new org.apache.kafka.clients.admin.AlterConfigOp(
                          new org.apache.kafka.clients.admin.ConfigEntry("retention.ms", "1000"),
                          org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
          .all()
          .get();
      ProvisionKafka.run(new AbstractConfig(ProvisionKafka.DEF, settings));
      assertThat(retention(admin, samples)).isEqualTo(Long.toString(30L * 24 * 3_600_000));
    }

    ProvisionKafka.Result again =
        ProvisionKafka.run(new AbstractConfig(ProvisionKafka.DEF, settings));
    assertThat(again.topicsCreated()).isEmpty();
    assertThat(again.topicsPresent()).isEqualTo(wanted);
    assertThat(again.aclsGranted()).isZero();

    Files.writeString(users, "team-unknown=" + password + "\n");
    assertThatThrownBy(() -> ProvisionKafka.run(new AbstractConfig(ProvisionKafka.DEF, settings)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not a principal of the access plan");
    assertThat(List.of(first.topicsPresent())).containsExactly(0);
  }

  private static String retention(
      org.apache.kafka.clients.admin.Admin admin,
      org.apache.kafka.common.config.ConfigResource topic)
      throws Exception {
    return admin.describeConfigs(List.of(topic)).all().get().get(topic).get("retention.ms").value();
  }
}
