package kai.telemetry.streams.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamsVersionTest {
  @Test
  void theBuildsKafkaStreamsIsATestedOne() {
    assertThat(StreamsVersion.running()).isEqualTo("4.4.0");
    StreamsVersion.requireTested(StreamsVersion.running());
  }

  @Test
  void anUntestedVersionIsRefusedWithTheReason() {
    assertThatThrownBy(() -> StreamsVersion.requireTested("4.3.1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Kafka Streams 4.3.1")
        .hasMessageContaining("4.4.0")
        .hasMessageContaining("internal Kafka Streams hook");
  }
}
