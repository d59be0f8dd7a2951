package kai.telemetry.streams.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
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

/**
 * Any Avro specific record in a job's internal store: the class name, then plain Avro binary. For
 * stores that hold several input types side by side; never for topics other services read.
 */
public final class AnySpecificRecordSerde implements Serde<SpecificRecord> {
  private final Map<String, Class<?>> classes = new ConcurrentHashMap<>();

  @Override
  public Serializer<SpecificRecord> serializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      byte[] name = value.getClass().getName().getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream out = new ByteArrayOutputStream(512);
      out.write(name.length >> 8);
      out.write(name.length);
      out.writeBytes(name);
      BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
      try {
        new SpecificDatumWriter<SpecificRecord>(value.getSchema()).write(value, enc);
        enc.flush();
      } catch (IOException e) {
        throw new SerializationException("cannot encode " + value.getClass(), e);
      }
      return out.toByteArray();
    };
  }

  @Override
  public Deserializer<SpecificRecord> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      int len = ((buf.get() & 0xff) << 8) | (buf.get() & 0xff);
      String name = new String(bytes, 2, len, StandardCharsets.UTF_8);
      try {
        Class<?> type =
            classes.computeIfAbsent(
                name,
                n -> {
                  try {
                    return Class.forName(n);
                  } catch (ClassNotFoundException e) {
                    throw new SerializationException(
                        "unknown record class " + n + " in " + topic, e);
                  }
                });
        Schema schema = SpecificData.get().getSchema(type);
        return new SpecificDatumReader<SpecificRecord>(schema)
            .read(
                null,
                DecoderFactory.get().binaryDecoder(bytes, 2 + len, bytes.length - 2 - len, null));
      } catch (IOException e) {
        throw new SerializationException("cannot decode " + name + " from " + topic, e);
      }
    };
  }
}
