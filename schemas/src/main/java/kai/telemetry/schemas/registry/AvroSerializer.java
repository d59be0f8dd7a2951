package kai.telemetry.schemas.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes Avro specific records into the Confluent wire format, registering the writer schema
 * under the TopicNameStrategy subject. A drop-in for Confluent's KafkaAvroSerializer on the
 * settings it reads (schema.registry.url, auto.register.schemas).
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

  private SchemaRegistryClient registry;
  private boolean isKey;
  private boolean autoRegister;
  private final java.util.Map<Schema, SpecificDatumWriter<T>> writers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, String> subjects =
      new java.util.concurrent.ConcurrentHashMap<>();

  public AvroSerializer() {}

  /** For callers that share one registry client across serdes. */
  public AvroSerializer(SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
    this.registry = registry;
    this.isKey = isKey;
    this.autoRegister = autoRegister;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.registry =
        SchemaRegistryClients.shared(
            RegistrySerdeConfig.url(configs), RegistrySerdeConfig.auth(configs));
    this.isKey = isKey;
    this.autoRegister = RegistrySerdeConfig.autoRegister(configs);
  }

  @Override
  public byte[] serialize(String topic, T record) {
    if (record == null) {
      return null;
    }
    if (registry == null) {
      throw new IllegalStateException("AvroSerializer used before configure()");
    }
    Schema schema = record.getSchema();
    String subject = subjects.computeIfAbsent(topic, t -> RegistrySerdeConfig.subject(t, isKey));
    int id = autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(WireFormat.MAGIC);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    try {
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      writers.computeIfAbsent(schema, SpecificDatumWriter::new).write(record, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot encode " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }
}
