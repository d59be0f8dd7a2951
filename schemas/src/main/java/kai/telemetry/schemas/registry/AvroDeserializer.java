package kai.telemetry.schemas.registry;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the Confluent wire format into the specific class {@code T}, resolving the writer schema
 * (looked up by id) against {@code T}'s schema, so data written by older or newer compatible schema
 * versions reads correctly.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private final Class<T> type;
  private final Schema readerSchema;
  private final Map<Integer, DatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
  private SchemaRegistryClient registry;

  public AvroDeserializer(Class<T> type) {
    this.type = type;
    this.readerSchema = SpecificData.get().getSchema(type);
  }

  public AvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
    this(type);
    this.registry = registry;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.registry =
        SchemaRegistryClients.shared(
            RegistrySerdeConfig.url(configs), RegistrySerdeConfig.auth(configs));
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (registry == null) {
      throw new IllegalStateException("AvroDeserializer used before configure()");
    }
    int id = schemaId(topic, data);
    try {
      DatumReader<T> reader =
          readersByWriterId.computeIfAbsent(
              id, i -> new SpecificDatumReader<>(writerSchema(i), readerSchema));
      return reader.read(
          null,
          DecoderFactory.get()
              .binaryDecoder(
                  data, WireFormat.HEADER_BYTES, data.length - WireFormat.HEADER_BYTES, null));
    } catch (SchemaRegistryException e) {
      throw e;
    } catch (Exception e) {
      throw new SerializationException(
          "cannot decode "
              + type.getSimpleName()
              + " with writer schema id "
              + id
              + " on topic "
              + topic
              + ": "
              + e,
          e);
    }
  }

  /** The schema this deserializer reads into ({@code T}'s). */
  public Schema readerSchema() {
    return readerSchema;
  }

  /** The schema a record was written with, by its registry id (cached). */
  public Schema writerSchema(int id) {
    if (registry == null) {
      throw new IllegalStateException("AvroDeserializer used before configure()");
    }
    return registry.schemaById(id);
  }

  /** Where the Avro binary starts in a value in the wire format. */
  public static int payloadOffset() {
    return WireFormat.HEADER_BYTES;
  }

  /**
   * The writer schema id of a value in the wire format.
   *
   * @throws SerializationException if {@code data} is not in the wire format
   */
  public static int schemaId(String topic, byte[] data) {
    if (data.length < WireFormat.HEADER_BYTES || data[0] != WireFormat.MAGIC) {
      throw new SerializationException(
          "not in the registry wire format (expected magic byte 0 and a 4-byte schema id; got "
              + data.length
              + " bytes"
              + (data.length > 0 ? ", first byte " + data[0] : "")
              + ") on topic "
              + topic);
    }
    return ByteBuffer.wrap(data, 1, 4).getInt();
  }
}
