package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import kai.telemetry.schemas.registry.AvroDeserializer;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void namesAreUniqueAndCarryThePrefix() {
    Topics topics = Topics.withPrefix("staging.");
    assertThat(topics.all()).extracting(Topic::name).doesNotHaveDuplicates();
    assertThat(topics.all()).allSatisfy(t -> assertThat(t.name()).startsWith("staging.kai."));
    assertThat(Topics.defaults().gpuSamples.name()).isEqualTo("kai.raw.gpu-samples.v1");
  }

  @Test
  void rejectsAPrefixKafkaCannotName() {
    assertThatThrownBy(() -> Topics.withPrefix("bad prefix/"))
        .hasMessageContaining("may only contain letters, digits");
  }

  @Test
  void avroSerdeWithoutRegistryUrlSaysWhatIsMissing() {
    assertThatThrownBy(() -> Topics.defaults().gpuSamples.valueSerde(Map.of()))
        .hasMessageContaining("schema.registry.url must be set");
  }

  @Test
  void deserializerRejectsBytesNotInTheWireFormat() {
    var d =
        new AvroDeserializer<>(
            kai.telemetry.events.GpuSample.class,
            new kai.telemetry.schemas.registry.SchemaRegistryClient("http://127.0.0.1:1"));
    assertThatThrownBy(() -> d.deserialize("t", new byte[] {'{', '"', 'a', '"', '}'}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not in the registry wire format")
        .hasMessageContaining("first byte 123");
  }
}
