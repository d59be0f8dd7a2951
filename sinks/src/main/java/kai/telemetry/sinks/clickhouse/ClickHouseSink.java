package kai.telemetry.sinks.clickhouse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import kai.telemetry.sinks.clickhouse.DeadLetters.Source;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lands topics in ClickHouse tables: polls, decodes, buffers rows per table, and flushes by size or
 * time. Offsets are committed only after every buffered row is inserted and every dead letter is
 * acknowledged, so a crash replays at most the last unflushed batch (the tables' natural keys
 * collapse the replay; see docs/DESIGN.md).
 *
 * <p>Throughput: one batch is inserted (on an insert thread) while the next is read and decoded; a
 * batch's offsets are committed, on the polling thread, once its insert is done, and only one
 * insert is in flight, so batches land and commit in order.
 *
 * <p>Failures: retriable inserts are retried with capped exponential backoff up to a time budget,
 * then the sink stops without committing; a non-retriable insert is split in halves until the bad
 * row is alone, which goes to the dead-letter topic with the reason while the rest lands.
 */
public final class ClickHouseSink implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClickHouseSink.class);
  private static final long BACKOFF_START_MS = 100;
  private static final long BACKOFF_MAX_MS = 5_000;

  /** Batching and retry bounds. */
  public record Settings(int batchMaxRows, long batchMaxMs, long retryMaxMs) {}

  /** Pauses between retries; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(long ms) throws InterruptedException;
  }

  private record Pending(Source source, Object row) {}

  /** A batch handed to the insert thread, with the offsets to commit once it has landed. */
  private record InFlight(Future<?> insert, Map<TopicPartition, OffsetAndMetadata> offsets) {}

  private final Consumer<byte[], byte[]> consumer;
  private final Map<String, TableRoute<?>> routesByTopic;
  private final RowWriter<Object> writer;
  private final DeadLetters deadLetters;
  private final Settings settings;
  private final Sleeper sleeper;
  private final SinkMetrics metrics = new SinkMetrics();
  private final Executor inserter;
  private InFlight inFlight;

  private final Map<String, List<Pending>> buffers = new LinkedHashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> pendingOffsets = new HashMap<>();
  private int bufferedRows;
  private long lastFlushMs = System.currentTimeMillis();
  private volatile boolean running = true;
  private volatile boolean failed;
  private final java.util.concurrent.CountDownLatch stopRequested =
      new java.util.concurrent.CountDownLatch(1);
  private volatile boolean started;
  private final CountDownLatch finished = new CountDownLatch(1);

  public ClickHouseSink(
      Consumer<byte[], byte[]> consumer,
      List<TableRoute<?>> routes,
      RowWriter<?> writer,
      DeadLetters deadLetters,
      Settings settings,
      Sleeper sleeper,
      Executor inserter) {
    this.inserter = inserter;
    this.consumer = consumer;
    this.routesByTopic = new HashMap<>();
    routes.forEach(r -> routesByTopic.put(r.topic(), r));
    @SuppressWarnings("unchecked") // it only ever gets back rows it made itself
    RowWriter<Object> rows = (RowWriter<Object>) writer;
    this.writer = rows;
    this.deadLetters = deadLetters;
    this.settings = settings;
    // Null: pause for real, but end the pause when stop() is called (SIGTERM must not wait out a
    // backoff); tests pass one that records the pauses instead.
    this.sleeper =
        sleeper != null
            ? sleeper
            : ms -> stopRequested.await(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public SinkMetrics metrics() {
    return metrics;
  }

  @Override
  public void run() {
    started = true;
    consumer.subscribe(
        routesByTopic.keySet(),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Land and commit what was read before another member takes these partitions; not
            // after a failure, when nothing read since the last commit may be committed.
            if (!failed) {
              flush();
            }
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("sink assigned {}", partitions);
          }
        });
    try {
      while (running) {
        pollOnce(Duration.ofMillis(200));
      }
      flush();
      log.info("sink stopped cleanly: {}", metrics);
    } catch (WakeupException e) {
      if (running) {
        failed = true;
        throw e;
      }
      flush();
      log.info("sink stopped cleanly: {}", metrics);
    } catch (RuntimeException e) {
      failed = true; // e.g. SinkFailedException: stop without committing what was read
      throw e;
    } finally {
      try {
        consumer.close(Duration.ofSeconds(10)); // the consumer belongs to this thread
      } catch (RuntimeException e) {
        log.warn("closing the sink's consumer failed: {}", e.getMessage());
      } finally {
        finished.countDown();
      }
    }
  }

  /** One poll, and a flush if the batch is full or old enough. */
  void pollOnce(Duration timeout) {
    ConsumerRecords<byte[], byte[]> polled = consumer.poll(timeout);
    for (TopicPartition tp : polled.partitions()) { // per partition: one lookup, not per record
      List<ConsumerRecord<byte[], byte[]>> records = polled.records(tp);
      metrics.recordsIn(tp.topic(), records.size());
      TableRoute<?> route = routesByTopic.get(tp.topic());
      List<Pending> buffer = buffers.computeIfAbsent(route.table(), t -> new ArrayList<>());
      for (ConsumerRecord<byte[], byte[]> rec : records) {
        Source source =
            new Source(
                rec.topic(),
                rec.partition(),
                rec.offset(),
                rec.timestamp(),
                rec.key(),
                rec.value());
        try {
          buffer.add(new Pending(source, writer.row(route, rec.value())));
          bufferedRows++;
        } catch (RuntimeException e) {
          if (SchemaRegistryException.outageBehind(e) != null) {
            // Not the record's fault: stop without committing; a restart resumes here.
            throw new IllegalStateException(
                "the schema registry failed while decoding "
                    + source.topic()
                    + "-"
                    + source.partition()
                    + "@"
                    + source.offset()
                    + "; stopping without committing past it: "
                    + e.getMessage(),
                e);
          }
          deadLetter(source, "undecodable record: " + e.getMessage());
        }
      }
      pendingOffsets.put(tp, new OffsetAndMetadata(records.get(records.size() - 1).offset() + 1));
    }
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong behind = consumer.currentLag(tp);
      if (behind.isPresent()) {
        metrics.lag(tp.topic(), tp.partition(), behind.getAsLong());
      }
    }
    metrics.buffered(bufferedRows);
    long now = System.currentTimeMillis();
    if (bufferedRows >= settings.batchMaxRows()
        || (now - lastFlushMs >= settings.batchMaxMs() && !pendingOffsets.isEmpty())) {
      dispatch();
    } else if (inFlight != null && inFlight.insert().isDone()) {
      awaitInFlight(); // commit as soon as the insert is done, not at the next batch
    }
  }

  /** Writes every buffered row, acknowledges dead letters, then commits the offsets read. */
  void flush() {
    dispatch();
    awaitInFlight();
  }

  /**
   * Hands the buffered rows to the insert thread, after the batch before them has landed and been
   * committed. Commits this one too if its insert is already done.
   */
  private void dispatch() {
    lastFlushMs = System.currentTimeMillis();
    if (pendingOffsets.isEmpty()) {
      return;
    }
    awaitInFlight();
    Map<String, List<Pending>> batch = new LinkedHashMap<>(buffers);
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(pendingOffsets);
    buffers.clear();
    pendingOffsets.clear();
    bufferedRows = 0;
    metrics.buffered(0);
    FutureTask<Void> insert =
        new FutureTask<>(
            () -> {
              long started = System.nanoTime();
              for (Map.Entry<String, List<Pending>> e : batch.entrySet()) {
                write(routeFor(e.getKey()), e.getValue());
              }
              metrics.flushed(System.nanoTime() - started);
              return null;
            });
    inFlight = new InFlight(insert, offsets);
    inserter.execute(insert);
    if (insert.isDone()) {
      awaitInFlight();
    }
  }

  /** Waits for the batch in flight, then acknowledges its dead letters and commits its offsets. */
  private void awaitInFlight() {
    if (inFlight == null) {
      return;
    }
    InFlight batch = inFlight;
    inFlight = null;
    try {
      batch.insert().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkFailedException("interrupted while a batch was being inserted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new SinkFailedException("insert failed: " + e.getCause(), e.getCause());
    }
    deadLetters.flush();
    consumer.commitSync(batch.offsets());
  }

  private TableRoute<?> routeFor(String table) {
    return routesByTopic.values().stream()
        .filter(r -> r.table().equals(table))
        .findFirst()
        .orElseThrow();
  }

  private void write(TableRoute<?> route, List<Pending> rows) {
    long deadline = System.currentTimeMillis() + settings.retryMaxMs();
    long backoff = BACKOFF_START_MS;
    while (true) {
      try {
        writer.insert(route.table(), route.columns(), rows.stream().map(Pending::row).toList());
        metrics.rowsWritten(route.table(), rows.size());
        return;
      } catch (RowWriter.WriteException e) {
        if (e.retriable()) {
          if (System.currentTimeMillis() + backoff > deadline) {
            throw new SinkFailedException(
                "ClickHouse still failing after retrying for "
                    + settings.retryMaxMs()
                    + " ms; stopping without committing, so a restart resumes from the last"
                    + " committed batch. Last error: "
                    + e.getMessage(),
                e);
          }
          metrics.retried();
          if (!running) {
            throw new SinkFailedException(
                "asked to stop while ClickHouse was failing; stopping without committing, so a"
                    + " restart resumes from the last committed batch. Last error: "
                    + e.getMessage(),
                e);
          }
          log.warn("retriable insert failure, retrying in {} ms: {}", backoff, e.getMessage());
          pause(backoff);
          backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
        } else if (e.kind() == ClickHouseErrors.Kind.STOP) {
          throw new SinkFailedException(
              "ClickHouse refuses the sink's writes into "
                  + route.table()
                  + " (not a fault of the rows: a login, a grant, a missing table or column, a"
                  + " full disk, or an error the sink does not know); stopping without committing,"
                  + " so a restart after the fix lands everything from the last committed batch."
                  + " Error: "
                  + e.getMessage(),
              e);
        } else if (rows.size() == 1) {
          deadLetter(rows.get(0).source(), "rejected by ClickHouse: " + e.getMessage());
          return;
        } else {
          // Isolate the bad row(s): the halves that insert cleanly land, the rest splits again.
          int mid = rows.size() / 2;
          write(route, rows.subList(0, mid));
          write(route, rows.subList(mid, rows.size()));
          return;
        }
      }
    }
  }

  private void deadLetter(Source source, String reason) {
    log.warn(
        "dead-lettering {}-{}@{}: {}", source.topic(), source.partition(), source.offset(), reason);
    deadLetters.send(source, reason);
    metrics.deadLettered(source.topic());
  }

  /** Waits {@code ms} between retries, or less when asked to stop (SIGTERM must not wait). */
  private void pause(long ms) {
    try {
      if (running) {
        sleeper.sleep(ms);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkFailedException("interrupted while retrying", e);
    }
  }

  /** Asks the run loop to flush and return; a pause between retries ends at once. */
  public void stop() {
    running = false;
    stopRequested.countDown();
    consumer.wakeup();
  }

  /** Stops and waits up to {@code timeout} for the final flush. */
  public boolean stopAndAwait(Duration timeout) throws InterruptedException {
    stop();
    return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (!started) {
      consumer.close(Duration.ofSeconds(10));
    }
    if (inserter instanceof ExecutorService service) {
      service.shutdownNow();
    }
    writer.close();
    deadLetters.close();
    metrics.close();
  }

  /** The sink cannot go on without risking data; it stops, and offsets stay uncommitted. */
  public static final class SinkFailedException extends RuntimeException {
    public SinkFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
