package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Map;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.registry.AvroDeserializer;
import kai.telemetry.schemas.registry.AvroSerializer;
import kai.telemetry.schemas.registry.IncompatibleSchemaException;
import kai.telemetry.schemas.registry.RegistrySerdeConfig;
import kai.telemetry.schemas.registry.SchemaRegistryClient;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealStackExtension.class)
class AvroSerdeIT {

  private final TestNamespace ns = TestNamespace.of(AvroSerdeIT.class);

  static GpuSample sample() {
    return GpuSample.newBuilder()
        .setTeam("upstage")
        .setCluster("c1")
        .setNode("node-01")
        .setGpuUuid("GPU-0000")
        .setGpuIndex(3)
        .setTsMs(1_760_000_000_000L)
        .setUtilizationPct(87.5)
        .setPowerW(612.0)
        .build();
  }

  @Test
  void bytesCarryMagicByteAndTheRegisteredIdAndReadBack(LocalStack stack) {
    String topic = ns.topicPrefix() + "gpu";
    Map<String, String> config =
        Map.of(RegistrySerdeConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    AvroSerializer<GpuSample> serializer = new AvroSerializer<>();
    serializer.configure(config, false);
    byte[] bytes = serializer.serialize(topic, sample());

    SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    int registeredId = registry.lookup(topic + "-value", GpuSample.getClassSchema());
    assertThat(bytes[0]).isZero();
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registeredId);
    assertThat(registry.schemaById(registeredId)).isEqualTo(GpuSample.getClassSchema());

    AvroDeserializer<GpuSample> deserializer = new AvroDeserializer<>(GpuSample.class);
    deserializer.configure(config, false);
    assertThat(deserializer.deserialize(topic, bytes)).isEqualTo(sample());
  }

  @Test
  void compatibleEvolutionRegistersAndOldDataReadsWithNewDefaults(LocalStack stack)
      throws Exception {
    String topic = ns.topicPrefix() + "evolve";
    String subject = topic + "-value";
    SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    int v1 = registry.register(subject, GpuSample.getClassSchema());

    // v2 adds an optional field with a default: BACKWARD compatible.
    Schema v2 = withExtraField(GpuSample.getClassSchema(), true);
    assertThat(registry.isCompatible(subject, v2)).isTrue();
    int v2Id = registry.register(subject, v2);
    assertThat(v2Id).isNotEqualTo(v1);

    // Data written with v2 is read by the v1 class: the new field is skipped.
    GenericRecord record = new GenericData.Record(v2);
    GpuSample s = sample();
    for (Schema.Field f : GpuSample.getClassSchema().getFields()) {
      record.put(f.name(), s.get(f.pos()));
    }
    record.put("fan_speed_pct", 40.0);
    byte[] bytes = confluentBytes(v2Id, v2, record);
    AvroDeserializer<GpuSample> deserializer = new AvroDeserializer<>(GpuSample.class, registry);
    assertThat(deserializer.deserialize(topic, bytes)).isEqualTo(sample());
  }

  @Test
  void incompatibleSchemaIsRefusedWithAClearError(LocalStack stack) {
    String subject = ns.topicPrefix() + "refuse-value";
    SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    registry.register(subject, GpuSample.getClassSchema());
    // A new required field without a default cannot read old data: not BACKWARD compatible.
    Schema breaking = withExtraField(GpuSample.getClassSchema(), false);
    assertThat(registry.isCompatible(subject, breaking)).isFalse();
    assertThatThrownBy(() -> registry.register(subject, breaking))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining("incompatible")
        .hasMessageContaining(subject);
  }

  @Test
  void unreachableRegistrySaysWhere() {
    SchemaRegistryClient registry = new SchemaRegistryClient("http://127.0.0.1:1/apis/ccompat/v7");
    assertThatThrownBy(() -> registry.schemaById(1))
        .hasMessageContaining(
            "schema registry at http://127.0.0.1:1/apis/ccompat/v7 is unreachable");
  }

  /** The base schema plus a double field fan_speed_pct, with or without a default. */
  private static Schema withExtraField(Schema base, boolean withDefault) {
    try {
      ObjectNode json = (ObjectNode) new ObjectMapper().readTree(base.toString());
      ObjectNode field =
          ((ArrayNode) json.get("fields"))
              .addObject()
              .put("name", "fan_speed_pct")
              .put("type", "double");
      if (withDefault) {
        field.put("default", 0.0);
      }
      return new Schema.Parser().parse(json.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] confluentBytes(int id, Schema schema, GenericRecord record)
      throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
    enc.flush();
    return out.toByteArray();
  }
}
