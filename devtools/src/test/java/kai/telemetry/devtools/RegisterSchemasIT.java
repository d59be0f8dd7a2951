package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.RegisterSchemas;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With {@code schema.registry.auto.register=false} a producer cannot change the contract: it finds
 * its schema registered by the deploy step ({@code register-schemas}) or fails, named.
 */
@ExtendWith(RealStackExtension.class)
class RegisterSchemasIT {
  private final TestNamespace ns = TestNamespace.of(RegisterSchemasIT.class);

  @Test
  void producersWithoutRegisteringFindTheDeployStepsSchemas(LocalStack stack) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(CommonSettings.REGISTRY_AUTO_REGISTER, "false");
    settings.put(RegisterSchemas.TEAMS, "upstage");
    AbstractConfig config = new AbstractConfig(RegisterSchemas.DEF, settings);
    Topics topics = CommonSettings.topics(config);
    Serializer<GpuSample> producer =
        topics.gpuSamples.valueSerde(CommonSettings.serdeConfig(config)).serializer();
    GpuSample sample =
        GpuSample.newBuilder()
            .setTeam("upstage")
            .setCluster("c")
            .setNode("n")
            .setGpuUuid("GPU-1")
            .setGpuIndex(0)
            .setTsMs(1_768_467_600_000L)
            .setUtilizationPct(50.0)
            .build();

    assertThatThrownBy(() -> producer.serialize(topics.gpuSamples.name(), sample))
        .as("no schema registered yet, and the producer may not register one")
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("is not registered")
        .hasMessageContaining("register-schemas");

    List<String> registered = RegisterSchemas.run(config);
    long avroTopics = topics.all().stream().filter(t -> t.valueAvroType().isPresent()).count();
    int intake = topics.team("upstage").all().size(); // a team's collectors write its intake
    assertThat(registered).hasSize((int) avroTopics + intake);
    assertThat(RegisterSchemas.run(config))
        .as("a second run changes nothing")
        .isEqualTo(registered);

    byte[] bytes = producer.serialize(topics.gpuSamples.name(), sample);
    assertThat(bytes[0]).isZero(); // Confluent wire format: magic byte, then the schema id
    assertThat(registered)
        .contains(
            topics.gpuSamples.name() + "-value=" + java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt());
    String intakeTopic = topics.team("upstage").gpuSamples.name();
    byte[] fromTeam = producer.serialize(intakeTopic, sample);
    assertThat(registered)
        .contains(intakeTopic + "-value=" + java.nio.ByteBuffer.wrap(fromTeam, 1, 4).getInt());
  }
}
