package kai.telemetry.streams.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;

/** A registry outage stops the job; a record that cannot be decoded is dead-lettered. */
class StopOnRegistryOutageTest {
  /** Decodes "ok"; fails as the first byte says: 5 a registry outage, 4 an unknown id, x bytes. */
  private static final Deserializer<String> DECODER =
      (topic, bytes) ->
          switch (bytes[0]) {
            case '5' -> throw new SchemaRegistryException("registry unreachable", 0);
            case '4' -> throw new SchemaRegistryException("no schema 999", 404);
            case 'x' -> throw new SerializationException("not in the wire format");
            default -> new String(bytes);
          };

  private TopologyTestDriver driver(AtomicInteger seen) {
    StreamsBuilder b = new StreamsBuilder();
    b.stream(
            "in",
            Consumed.with(Serdes.String(), Serdes.serdeFrom(Serdes.String().serializer(), DECODER)))
        .peek((k, v) -> seen.incrementAndGet())
        .to("out", Produced.with(Serdes.String(), Serdes.String()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "handler-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, StopOnRegistryOutage.class);
    p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "dlq");
    return new TopologyTestDriver(b.build(), p);
  }

  @Test
  void undecodableRecordsAreDeadLetteredAndTheRestGoesOn() {
    AtomicInteger seen = new AtomicInteger();
    try (TopologyTestDriver d = driver(seen)) {
      var in =
          d.createInputTopic("in", Serdes.String().serializer(), Serdes.ByteArray().serializer());
      in.pipeInput("k", "x1".getBytes());
      in.pipeInput("k", "4 unknown id".getBytes());
      in.pipeInput("k", "ok".getBytes());
      assertThat(seen).hasValue(1);
      var dlq =
          d.createOutputTopic(
              "dlq", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
      assertThat(dlq.readValuesToList())
          .extracting(String::new)
          .containsExactly("x1", "4 unknown id");
    }
  }

  @Test
  void aRegistryOutageStopsTheJobInsteadOfSkippingTheRecord() {
    AtomicInteger seen = new AtomicInteger();
    try (TopologyTestDriver d = driver(seen)) {
      var in =
          d.createInputTopic("in", Serdes.String().serializer(), Serdes.ByteArray().serializer());
      assertThatThrownBy(() -> in.pipeInput("k", "5 outage".getBytes()))
          .hasStackTraceContaining("registry unreachable");
      var dlq =
          d.createOutputTopic(
              "dlq", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
      assertThat(dlq.isEmpty()).isTrue();
      assertThat(seen).hasValue(0);
    }
  }
}
