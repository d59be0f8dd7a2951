package kai.telemetry.streams.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
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

/**
 * Avro binary for a job's internal state (stores and their changelogs), which no other service
 * reads, so it needs no registry round trip; but state outlives an upgrade, so each value carries
 * the version of the schema that wrote it: one byte, then the Avro binary.
 *
 * <p>Every version of a state type's schema is kept as {@code state-schemas/<Type>/v<N>.avsc}; the
 * newest must be the schema the code is built with (else the serde refuses to start, so a change
 * cannot ship without a new version), and a value written by any kept version is read through
 * Avro's schema resolution into today's type. A restore from a changelog written by the previous
 * release therefore reads it, and a value from a newer release is refused with its version.
 */
public final class InternalAvroSerde<T extends SpecificRecord> implements Serde<T> {
  static final String SCHEMA_FOLDER = "state-schemas/";

  private final String type;
  private final int version;
  private final SpecificDatumWriter<T> writer;
  private final List<SpecificDatumReader<T>> readers;

  public InternalAvroSerde(Class<T> type) {
    this(type, versions(type));
  }

  /** A serde that knows {@code versions} of {@code type}'s schema, oldest first. */
  InternalAvroSerde(Class<T> type, List<Schema> versions) {
    this.type = type.getSimpleName();
    Schema current = SpecificData.get().getSchema(type);
    if (versions.isEmpty() || !versions.getLast().equals(current)) {
      throw new IllegalStateException(
          "the state schema of "
              + this.type
              + " differs from its newest kept version ("
              + SCHEMA_FOLDER
              + this.type
              + "/v"
              + versions.size()
              + ".avsc): keep the new schema as v"
              + (versions.size() + 1)
              + ".avsc, able to read every earlier version, so state written before an upgrade"
              + " restores after it");
    }
    this.version = versions.size();
    this.writer = new SpecificDatumWriter<>(current);
    this.readers = new ArrayList<>();
    for (Schema written : versions) {
      readers.add(new SpecificDatumReader<>(written, current));
    }
  }

  /** The versions of {@code type}'s state schema, oldest first (v1, v2, ...). */
  static List<Schema> versions(Class<?> type) {
    List<Schema> versions = new ArrayList<>();
    for (int v = 1; ; v++) {
      String name = SCHEMA_FOLDER + type.getSimpleName() + "/v" + v + ".avsc";
      try (InputStream in = InternalAvroSerde.class.getClassLoader().getResourceAsStream(name)) {
        if (in == null) {
          return versions;
        }
        versions.add(
            new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + name, e);
      }
    }
  }

  /** The version this build writes. */
  public int version() {
    return version;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(512);
      out.write(version);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      try {
        writer.write(value, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new SerializationException("cannot encode " + type + " state for " + topic, e);
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
      if (bytes.length == 0) {
        throw new SerializationException("empty " + type + " state in " + topic);
      }
      int written = bytes[0] & 0xff;
      if (written < 1 || written > readers.size()) {
        throw new SerializationException(
            type
                + " state in "
                + topic
                + " was written with schema version "
                + written
                + "; this release reads versions 1 to "
                + readers.size()
                + " (state from a newer release cannot be read by an older one)");
      }
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, 1, bytes.length - 1, null);
      try {
        return readers.get(written - 1).read(null, decoder);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "cannot decode " + type + " state (schema v" + written + ") from " + topic, e);
      }
    };
  }
}
