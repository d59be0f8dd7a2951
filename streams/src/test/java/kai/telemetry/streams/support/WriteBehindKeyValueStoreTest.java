package kai.telemetry.streams.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-behind store under a real Streams task (the test driver commits after every input
 * record): each commit's changelog holds the values of the keys changed since the last one, the
 * processor reads its own pending writes, deletes reach the changelog as tombstones, and range
 * reads see pending writes.
 */
class WriteBehindKeyValueStoreTest {
  private static final String STORE = "totals";
  private static final String CHANGELOG = "wb-test-" + STORE + "-changelog";

  private TopologyTestDriver driver;
  private TestInputTopic<String, Long> in;
  private TestOutputTopic<String, Long> changelog;
  private TestOutputTopic<String, Long> out;

  /**
   * Adds each value to its key's total (a negative value deletes the key), twice per record so that
   * the second add reads the first, not yet written, and forwards the total; a record keyed {@code
   * *} instead stores its value as is and forwards the sum of every total that a range read then
   * sees, its own included.
   */
  private static final class Totals implements Processor<String, Long, String, Long> {
    private ProcessorContext<String, Long> context;
    private KeyValueStore<String, Long> totals;

    @Override
    public void init(ProcessorContext<String, Long> context) {
      this.context = context;
      this.totals = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, Long> r) {
      if (r.key().equals("*")) {
        totals.put("*", r.value());
        long all = 0;
        try (KeyValueIterator<String, Long> it = totals.all()) {
          while (it.hasNext()) {
            all += it.next().value;
          }
        }
        context.forward(r.withValue(all));
        return;
      }
      if (r.value() < 0) {
        totals.delete(r.key());
        context.forward(r.withValue(0L));
        return;
      }
      for (int i = 0; i < 2; i++) {
        Long t = totals.get(r.key());
        totals.put(r.key(), (t == null ? 0 : t) + r.value());
      }
      context.forward(r.withValue(totals.get(r.key())));
    }
  }

  @BeforeEach
  void start() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        WriteBehindKeyValueStore.builder(
            Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore(STORE), Serdes.String(), Serdes.Long())
                .withCachingDisabled()));
    builder.<String, Long>stream("in").process(Totals::new, STORE).to("out");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "wb-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.LongSerde.class);
    driver = new TopologyTestDriver(builder.build(), props);
    in = driver.createInputTopic("in", Serdes.String().serializer(), Serdes.Long().serializer());
    changelog =
        driver.createOutputTopic(
            CHANGELOG, Serdes.String().deserializer(), Serdes.Long().deserializer());
    out =
        driver.createOutputTopic(
            "out", Serdes.String().deserializer(), Serdes.Long().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void eachCommitLogsTheLatestValueOfEachChangedKeyOnce() {
    in.pipeInput("a", 1L); // a = 2
    assertThat(changelog.readKeyValuesToList()).containsExactly(KeyValue.pair("a", 2L));
    in.pipeInput("b", 5L); // b = 10
    in.pipeInput("a", 3L); // a = 8
    assertThat(changelog.readKeyValuesToList())
        .containsExactly(KeyValue.pair("b", 10L), KeyValue.pair("a", 8L));
    assertThat(out.readValuesToList()).containsExactly(2L, 10L, 8L);
    KeyValueStore<String, Long> store = driver.getKeyValueStore(STORE);
    assertThat(store.get("a")).isEqualTo(8L);
    assertThat(store.get("b")).isEqualTo(10L);
  }

  @Test
  void aDeleteIsLoggedAsATombstoneAndHiddenFromReads() {
    in.pipeInput("a", 1L);
    in.pipeInput("b", 1L);
    changelog.readKeyValuesToList();
    in.pipeInput("a", -1L);
    List<KeyValue<String, Long>> logged = new ArrayList<>(changelog.readKeyValuesToList());
    assertThat(logged).containsExactly(KeyValue.pair("a", null));
    in.pipeInput("*", 0L);
    assertThat(out.readValuesToList()).containsExactly(2L, 2L, 0L, 2L);
    assertThat(driver.getKeyValueStore(STORE).get("a")).isNull();
  }

  @Test
  void rangeReadsSeeWritesNotYetLogged() {
    in.pipeInput("a", 1L); // a = 2
    in.pipeInput("*", 5L); // * = 5, not yet logged when the range is read
    assertThat(out.readValuesToList()).containsExactly(2L, 7L);
    assertThat(changelog.readKeyValuesToList())
        .containsExactly(KeyValue.pair("a", 2L), KeyValue.pair("*", 5L));
  }

  @Test
  void cachingBelowIsRefused() {
    assertThatThrownBy(
            () ->
                WriteBehindKeyValueStore.builder(
                        Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(STORE), Serdes.String(), Serdes.Long()))
                    .withCachingEnabled())
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
