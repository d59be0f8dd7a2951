package kai.telemetry.streams.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Plain Avro binary, no registry: the tests' stand-in for the topics' registry serdes. */
public final class PlainAvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final SpecificDatumWriter<T> writer;
  private final SpecificDatumReader<T> reader;

  public PlainAvroSerde(Class<T> type) {
    var schema = SpecificData.get().getSchema(type);
    this.writer = new SpecificDatumWriter<>(schema);
    this.reader = new SpecificDatumReader<>(schema);
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(512);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      try {
        writer.write(value, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new SerializationException("cannot encode state for " + topic, e);
      }
      return out.toByteArray();
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
      try {
        return reader.read(null, decoder);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException("cannot decode state from " + topic, e);
      }
    };
  }
}
