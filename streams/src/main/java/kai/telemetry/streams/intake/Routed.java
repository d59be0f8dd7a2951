package kai.telemetry.streams.intake;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A record's value bytes, unchanged, and the topic they go to. */
record Routed(String topic, byte[] value) {
  /** Writes the bytes as they came; nothing reads a {@code Routed} back. */
  static final Serde<Routed> SERDE =
      Serdes.serdeFrom(
          (Serializer<Routed>) (topic, routed) -> routed == null ? null : routed.value(),
          (Deserializer<Routed>)
              (topic, bytes) -> {
                throw new UnsupportedOperationException("routed values are written, not read");
              });
}
