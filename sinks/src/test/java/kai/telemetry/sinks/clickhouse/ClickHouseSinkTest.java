package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sink's batching, commit, retry and isolation logic, with in-memory doubles. */
class ClickHouseSinkTest {
  private static final String TOPIC = "events";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  private static final Schema SCHEMA =
      SchemaBuilder.record("Event").fields().requiredString("name").requiredLong("n").endRecord();

  /** A "record" decoded from "name:n" text; "garbage" does not decode. */
  static final class Event extends GenericData.Record implements SpecificRecord {
    Event(String name, long n) {
      super(SCHEMA);
      put(0, name);
      put(1, n);
    }
  }

  private static final Deserializer<Event> TEXT =
      (topic, bytes) -> {
        String[] parts = new String(bytes, StandardCharsets.UTF_8).split(":");
        return new Event(parts[0], Long.parseLong(parts[1]));
      };

  /** Fails inserts as scripted: a number of retriable failures, and rows it rejects. */
  static final class ScriptedWriter implements RowWriter<Object[]> {
    final List<List<Object[]>> inserted = new ArrayList<>();
    int retriableFailuresLeft;
    String rejectName;
    String refusal; // every insert fails with this server answer, whatever its rows

    @Override
    public Object[] row(TableRoute<?> route, byte[] value) {
      return route.row(value);
    }

    @Override
    public void insert(String table, List<String> columns, List<Object[]> rows)
        throws WriteException {
      assertThat(table).isEqualTo("events_table");
      assertThat(columns).containsExactly("name", "n");
      if (retriableFailuresLeft > 0) {
        retriableFailuresLeft--;
        throw new WriteException("Connection refused", ClickHouseErrors.Kind.TRANSIENT, null);
      }
      if (refusal != null) {
        throw new WriteException(refusal, ClickHouseErrors.of(403, refusal), null);
      }
      if (rejectName != null && rows.stream().anyMatch(r -> r[0].equals(rejectName))) {
        throw new WriteException("Code: 53. Type mismatch", ClickHouseErrors.Kind.ROW, null);
      }
      inserted.add(List.copyOf(rows));
    }

    List<String> names() {
      return inserted.stream().flatMap(List::stream).map(r -> (String) r[0]).toList();
    }

    @Override
    public void close() {}
  }

  static final class ListDeadLetters implements DeadLetters {
    final List<String> pending = new ArrayList<>();
    final List<String> flushed = new ArrayList<>();

    @Override
    public void send(Source source, String reason) {
      pending.add(
          new String(source.value(), StandardCharsets.UTF_8)
              + "@"
              + source.offset()
              + " "
              + reason);
    }

    @Override
    public void flush() {
      flushed.addAll(pending);
      pending.clear();
    }

    @Override
    public void close() {}
  }

  private MockConsumer<byte[], byte[]> consumer;
  private ScriptedWriter writer;
  private ListDeadLetters dlq;
  private List<Long> sleeps;

  @BeforeEach
  void setUp() {
    consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
    consumer.assign(List.of(TP));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    writer = new ScriptedWriter();
    dlq = new ListDeadLetters();
    sleeps = new ArrayList<>();
  }

  private ClickHouseSink sink(int maxRows, long retryMaxMs) {
    TableRoute<Event> route = new TableRoute<>(TOPIC, "events_table", TEXT, List.of("name", "n"));
    return new ClickHouseSink(
        consumer,
        List.of(route),
        writer,
        dlq,
        new ClickHouseSink.Settings(maxRows, 60_000, retryMaxMs),
        sleeps::add,
        Runnable::run); // inserts on the polling thread: each step's outcome is visible at once
  }

  private void add(long offset, String value) {
    consumer.addRecord(
        new ConsumerRecord<>(TOPIC, 0, offset, null, value.getBytes(StandardCharsets.UTF_8)));
  }

  private Long committed() {
    Map<TopicPartition, OffsetAndMetadata> c = consumer.committed(java.util.Set.of(TP));
    return c.get(TP) == null ? null : c.get(TP).offset();
  }

  @Test
  void flushesAFullBatchThenCommitsPastIt() {
    ClickHouseSink sink = sink(3, 1_000);
    add(0, "a:1");
    add(1, "b:2");
    sink.pollOnce(Duration.ZERO);
    assertThat(writer.inserted).isEmpty();
    assertThat(committed()).isNull();

    add(2, "c:3");
    sink.pollOnce(Duration.ZERO);
    assertThat(writer.names()).containsExactly("a", "b", "c");
    assertThat(writer.inserted.get(0).get(2)).containsExactly("c", 3L);
    assertThat(committed()).isEqualTo(3L);
    assertThat(sink.metrics().rowsWritten()).isEqualTo(3);
  }

  @Test
  void aBatchInFlightIsCommittedOnlyOnceItsInsertHasLanded() {
    java.util.ArrayDeque<Runnable> insertThread = new java.util.ArrayDeque<>();
    TableRoute<Event> route = new TableRoute<>(TOPIC, "events_table", TEXT, List.of("name", "n"));
    ClickHouseSink sink =
        new ClickHouseSink(
            consumer,
            List.of(route),
            writer,
            dlq,
            new ClickHouseSink.Settings(2, 60_000, 1_000),
            sleeps::add,
            insertThread::add);
    add(0, "a:1");
    add(1, "b:2");
    sink.pollOnce(Duration.ZERO); // batch full: handed to the insert thread, still running
    assertThat(insertThread).hasSize(1);
    assertThat(writer.inserted).isEmpty();
    assertThat(committed()).isNull();

    add(2, "c:3");
    sink.pollOnce(Duration.ZERO); // reading goes on meanwhile; nothing is committed yet
    assertThat(committed()).isNull();

    insertThread.poll().run(); // the insert lands
    sink.pollOnce(Duration.ZERO);
    assertThat(writer.names()).containsExactly("a", "b");
    assertThat(committed()).isEqualTo(2L); // c:3 is read but not landed: not committed
  }

  @Test
  void aFailedBatchInFlightStopsTheSinkWithoutCommitting() {
    java.util.ArrayDeque<Runnable> insertThread = new java.util.ArrayDeque<>();
    writer.retriableFailuresLeft = Integer.MAX_VALUE;
    TableRoute<Event> route = new TableRoute<>(TOPIC, "events_table", TEXT, List.of("name", "n"));
    ClickHouseSink sink =
        new ClickHouseSink(
            consumer,
            List.of(route),
            writer,
            dlq,
            new ClickHouseSink.Settings(1, 60_000, 0),
            sleeps::add,
            insertThread::add);
    add(0, "a:1");
    sink.pollOnce(Duration.ZERO);
    insertThread.poll().run(); // gives up: the retry budget is 0
    assertThatThrownBy(() -> sink.pollOnce(Duration.ZERO))
        .isInstanceOf(ClickHouseSink.SinkFailedException.class)
        .hasMessageContaining("stopping without committing");
    assertThat(committed()).isNull();
  }

  /**
   * A revoked grant (or a dropped table, a login refused, a read-only user) is not the rows' fault:
   * the sink stops at once, dead-letters nothing and commits nothing.
   */
  @Test
  void aRefusalThatIsNotTheRowsFaultStopsTheSinkWithNothingDeadLettered() {
    for (String refusal :
        List.of(
            "Code: 497, e.displayText() = DB::Exception: kai_sink: Not enough privileges",
            "Code: 60, e.displayText() = DB::Exception: Table kai.events_table doesn't exist.",
            "Code: 516. DB::Exception: kai_sink: Authentication failed",
            "Code: 9999. DB::Exception: a code the sink does not know",
            "Forbidden by the proxy")) {
      setUp();
      writer.refusal = refusal;
      ClickHouseSink sink = sink(2, 60_000);
      add(0, "a:1");
      add(1, "b:2");
      assertThatThrownBy(() -> sink.pollOnce(Duration.ZERO))
          .as(refusal)
          .isInstanceOf(ClickHouseSink.SinkFailedException.class)
          .hasMessageContaining("stopping without committing")
          .hasMessageContaining(refusal);
      assertThat(dlq.pending).as(refusal).isEmpty();
      assertThat(committed()).as(refusal).isNull();
      assertThat(sleeps).as("not retried: " + refusal).isEmpty();
    }
  }

  @Test
  void retriableFailuresAreRetriedWithGrowingBackoffAndCommitOnlyAfterSuccess() {
    writer.retriableFailuresLeft = 3;
    ClickHouseSink sink = sink(2, 60_000);
    add(0, "a:1");
    add(1, "b:2");
    sink.pollOnce(Duration.ZERO);
    assertThat(sleeps).containsExactly(100L, 200L, 400L);
    assertThat(writer.names()).containsExactly("a", "b");
    assertThat(committed()).isEqualTo(2L);
    assertThat(sink.metrics().retries()).isEqualTo(3);
  }

  /** Asked to stop while retrying (SIGTERM), the sink stops at once without committing. */
  @Test
  void aStopDuringRetriesEndsThemWithoutCommitting() {
    writer.retriableFailuresLeft = Integer.MAX_VALUE;
    ClickHouseSink[] holder = new ClickHouseSink[1];
    TableRoute<Event> route = new TableRoute<>(TOPIC, "events_table", TEXT, List.of("name", "n"));
    holder[0] =
        new ClickHouseSink(
            consumer,
            List.of(route),
            writer,
            dlq,
            new ClickHouseSink.Settings(1, 60_000, 600_000),
            ms -> {
              sleeps.add(ms);
              if (sleeps.size() == 2) {
                holder[0].stop(); // the signal arrives during the second pause
              }
            },
            Runnable::run);
    add(0, "a:1");
    assertThatThrownBy(() -> holder[0].pollOnce(Duration.ZERO))
        .isInstanceOf(ClickHouseSink.SinkFailedException.class)
        .hasMessageContaining("asked to stop while ClickHouse was failing");
    assertThat(sleeps).containsExactly(100L, 200L); // not the rest of a 10-minute budget
    assertThat(committed()).isNull();
    assertThat(dlq.pending).isEmpty();
  }

  @Test
  void exhaustedRetryBudgetStopsWithoutCommitting() {
    writer.retriableFailuresLeft = Integer.MAX_VALUE;
    ClickHouseSink sink = sink(1, 0);
    add(0, "a:1");
    assertThatThrownBy(() -> sink.pollOnce(Duration.ZERO))
        .isInstanceOf(ClickHouseSink.SinkFailedException.class)
        .hasMessageContaining("stopping without committing");
    assertThat(committed()).isNull();
    assertThat(writer.inserted).isEmpty();
  }

  @Test
  void aRejectedRowIsIsolatedByHalvingAndDeadLetteredWhileTheRestLands() {
    writer.rejectName = "bad";
    ClickHouseSink sink = sink(5, 1_000);
    add(0, "a:1");
    add(1, "b:2");
    add(2, "bad:3");
    add(3, "d:4");
    add(4, "e:5");
    sink.pollOnce(Duration.ZERO);
    assertThat(writer.names()).containsExactlyInAnyOrder("a", "b", "d", "e");
    assertThat(dlq.flushed)
        .containsExactly("bad:3@2 rejected by ClickHouse: Code: 53. Type mismatch");
    assertThat(committed()).isEqualTo(5L);
    assertThat(sink.metrics().deadLettered()).isEqualTo(1);
  }

  @Test
  void undecodableRecordsGoToTheDeadLetterTopicAndGoodOnesLand() {
    ClickHouseSink sink = sink(2, 1_000);
    add(0, "a:1");
    add(1, "garbage");
    add(2, "c:3");
    sink.pollOnce(Duration.ZERO);
    assertThat(writer.names()).containsExactly("a", "c");
    assertThat(dlq.flushed).hasSize(1);
    assertThat(dlq.flushed.get(0)).startsWith("garbage@1 undecodable record:");
    assertThat(committed()).isEqualTo(3L);
  }

  @Test
  void stoppingFlushesWhatIsBufferedAndCommits() {
    // A consumer as the run loop uses it: subscribed, assigned by a rebalance, closed at the end.
    consumer =
        new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name()) {
          @Override
          public synchronized void close(Duration timeout) {
            // keep it readable after the run loop closes it
          }
        };
    ClickHouseSink sink = sink(100, 1_000);
    consumer.schedulePollTask(
        () -> {
          consumer.rebalance(List.of(TP));
          consumer.updateBeginningOffsets(Map.of(TP, 0L));
          add(0, "a:1");
        });
    consumer.schedulePollTask(sink::stop);
    sink.run();
    assertThat(writer.names()).containsExactly("a");
    assertThat(committed()).isEqualTo(1L);
  }
}
