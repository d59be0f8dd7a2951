package kai.telemetry.producers.collect.traininglog;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.events.CollectorPosition;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.TextLines;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a growing training log and publishes its steps, exactly once across restarts: each batch
 * of lines and the file position after it are written in one Kafka transaction (the position to the
 * compacted collector-positions topic), and a restart resumes from the last committed position. A
 * crash mid-batch aborts the batch and its position together.
 *
 * <p>Rotation: when the path names a new file (another inode), the old file is read to its end
 * first, then the new one from its start; if the file shrank (copy-truncate), reading restarts at
 * 0. If the file was rotated while the follower was down, the rotated file (a sibling whose name
 * starts with the log's name, same inode as recorded) is finished first. Only complete lines
 * (ending in a newline) are read; a partly written last line waits for its end.
 */
public final class TrainingLogFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrainingLogFollower.class);

  /** Where the follower is in which file. */
  record Position(String fileKey, long offset, long line) {}

  private final CollectorConfig config;
  private final Path path;
  private final String followerId;
  private final StepLineParser parser;
  private final LogTime time;
  private final EventPublisher publisher;
  private final int batchLines;
  private final int maxLineBytes;
  private final CountDownLatch stop = new CountDownLatch(1);

  public TrainingLogFollower(CollectorConfig config) {
    this.config = config;
    String file = config.getString(CollectorConfig.LOG_FILE);
    if (file.isBlank()) {
      throw new IllegalArgumentException(CollectorConfig.LOG_FILE + " must name the log to follow");
    }
    this.path = Path.of(file).toAbsolutePath();
    String runId = config.getString(CollectorConfig.LOG_RUN_ID);
    if (runId.isBlank()) {
      throw new IllegalArgumentException(
          CollectorConfig.LOG_RUN_ID + " must be set (the run the steps belong to)");
    }
    String id = config.getString(CollectorConfig.LOG_FOLLOWER_ID);
    this.followerId = id.isBlank() ? config.team() + "/" + runId : id;
    String format = config.getString(CollectorConfig.LOG_FORMAT);
    if (TrainingFiles.FORMATS.contains(format)) {
      throw new IllegalArgumentException(
          "log.format "
              + format
              + " is a whole file, not a log of lines: import it with import-training-log");
    }
    this.time =
        new LogTime(TrainingLogImporter.startTime(config), true, TrainingLogImporter.zone(config));
    this.parser = StepLineParser.forFormat(format, TrainingLogImporter.context(config, time));
    this.batchLines = config.getInt(CollectorConfig.LOG_BATCH_LINES);
    this.maxLineBytes = config.getInt(CollectorConfig.MAX_LINE_BYTES);
    this.publisher =
        new EventPublisher(
            config,
            "training-log",
            // Under the team's prefix: the broker lets only that team's principal use it.
            KafkaAccess.teamTransactionPrefix(config.team())
                + "log-follower-"
                + followerId.replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  /** Follows until stopped (or to the end of the file with log.exit.at.end=true). */
  public void run() throws IOException {
    Position pos = committedPosition().orElse(null);
    String currentKey = fileKey(path);
    if (pos != null && currentKey != null && !pos.fileKey().equals(currentKey)) {
      Optional<Path> rotated = findByKey(pos.fileKey());
      if (rotated.isPresent()) {
        log.info(
            "{} was rotated while stopped: finishing {} from byte {}",
            path,
            rotated.get(),
            pos.offset());
        readToEnd(rotated.get(), pos, true);
      } else {
        log.warn(
            "{} was replaced while stopped and the old file is gone; lines after byte {} of it are lost",
            path,
            pos.offset());
      }
      pos = null;
    }
    if (pos == null) {
      pos = new Position(currentKey == null ? "" : currentKey, 0, 0);
    }
    log.info(
        "following {} as {} from line {} (byte {})", path, followerId, pos.line(), pos.offset());
    long poll = config.getLong(CollectorConfig.LOG_POLL_MS);
    boolean exitAtEnd = config.getBoolean(CollectorConfig.LOG_EXIT_AT_END);
    while (stop.getCount() > 0) {
      String key = fileKey(path);
      if (key == null) {
        if (exitAtEnd) {
          return;
        }
        pause(poll);
        continue;
      }
      if (!key.equals(pos.fileKey())) {
        Optional<Path> old = findByKey(pos.fileKey());
        if (old.isPresent()) {
          pos = readToEnd(old.get(), pos, true);
        }
        log.info("{} rotated: now reading the new file from its start", path);
        pos = new Position(key, 0, 0);
      } else if (Files.size(path) < pos.offset()) {
        log.warn("{} shrank below byte {} (truncated): reading from its start", path, pos.offset());
        pos = new Position(key, 0, 0);
      }
      Position after = readToEnd(path, pos, exitAtEnd);
      if (after.equals(pos)) {
        if (exitAtEnd) {
          return;
        }
        pause(poll);
      }
      pos = after;
    }
  }

  /**
   * Reads complete lines from {@code pos} to the file's end, a transaction per batch, and returns
   * the position after the last line read. Lines are split by {@link TextLines}: an overlong or
   * invalid UTF-8 line is rejected with its number. A batch ends only between records; when the
   * file ends inside a record the parser holds (a wrapped Megatron line), the position committed is
   * that record's start, so a restart reads it whole. With {@code finished} (the file is complete:
   * log.exit.at.end), a last line without a newline is read too.
   */
  private Position readToEnd(Path file, Position pos, boolean finished) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      raf.seek(pos.offset());
      TextLines lines = new TextLines(maxLineBytes, pos.offset(), pos.line());
      Position at = pos;
      Position recordStart = null;
      TrainingRecords batch = new TrainingRecords();
      time.readAt(System.currentTimeMillis());
      int inBatch = 0;
      long firstLine = pos.line() + 1;
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = raf.read(buf)) > 0) {
        for (TextLines.Line line : lines.feed(buf, n)) {
          boolean wasPending = parser.pending();
          Position before = at;
          read(file, line, batch);
          at = new Position(pos.fileKey(), line.endOffset(), line.number());
          recordStart = parser.pending() ? (wasPending ? recordStart : before) : null;
          if (++inBatch >= batchLines && !parser.pending()) {
            commit(file, batch, firstLine, at);
            batch = new TrainingRecords();
            time.readAt(System.currentTimeMillis());
            inBatch = 0;
            firstLine = at.line() + 1;
          }
        }
      }
      if (finished) {
        var last = lines.end();
        if (last.isPresent()) {
          read(file, last.get(), batch);
          at = new Position(pos.fileKey(), last.get().endOffset(), last.get().number());
          inBatch++;
        }
        parser.finish(batch);
        recordStart = null;
      }
      if (inBatch > 0 || !batch.problems().isEmpty()) {
        commit(file, batch, firstLine, recordStart != null ? recordStart : at);
      }
      return at;
    }
  }

  private void read(Path file, TextLines.Line line, TrainingRecords batch) {
    String where = file.getFileName() + ":" + line.number();
    if (line.ok()) {
      parser.parse(line.text(), where, batch);
    } else {
      batch.problem(where, line.problem(), line.raw());
    }
  }

  /**
   * Publishes a batch's steps, scalars and rejects, and the position to resume from after it, in
   * one transaction.
   */
  private void commit(Path file, TrainingRecords batch, long firstLine, Position resume) {
    long now = System.currentTimeMillis();
    var producer = publisher.producer();
    try {
      producer.beginTransaction();
      publisher.trainingSteps(batch.parsedSteps(), now);
      publisher.trainingScalars(batch.scalars(), now);
      publisher.sendUncounted(
          publisher.intake().collectorPositions.name(),
          followerId,
          now,
          CollectorPosition.newBuilder()
              .setFile(path.toString())
              .setFileKey(resume.fileKey())
              .setOffset(resume.offset())
              .setLine(resume.line())
              .setTsMs(now)
              .build());
      producer.commitTransaction();
    } catch (KafkaException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException ignored) {
        // fenced or closed: the transaction is gone either way
      }
      throw new IllegalStateException(
          "publishing lines "
              + firstLine
              + ".. of "
              + file
              + " failed; nothing of them was committed",
          e);
    }
    publisher.throwIfFailed();
    publisher.skipped(batch.skipped());
    log.info(
        "published lines {}..{} of {} (resume at byte {})",
        firstLine,
        resume.line(),
        file,
        resume.offset());
  }

  private Optional<Position> committedPosition() {
    Map<String, Object> c =
        KafkaClients.of(config).consumer("kai-log-follower-positions", null, Map.of());
    String topic = publisher.intake().collectorPositions.name();
    var positions = publisher.intake().collectorPositions;
    try (KafkaConsumer<String, CollectorPosition> consumer =
        new KafkaConsumer<>(
            c,
            positions.keySerde(config.serdeConfig()).deserializer(),
            positions.valueSerde(config.serdeConfig()).deserializer())) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      CollectorPosition last = null;
      long deadline = System.currentTimeMillis() + 60_000;
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end in 60 s");
        }
        for (ConsumerRecord<String, CollectorPosition> r : consumer.poll(Duration.ofMillis(200))) {
          if (followerId.equals(r.key())) {
            last = r.value();
          }
        }
      }
      return Optional.ofNullable(last)
          .map(p -> new Position(p.getFileKey(), p.getOffset(), p.getLine()));
    }
  }

  private Optional<Path> findByKey(String key) throws IOException {
    Path dir = path.getParent();
    String name = path.getFileName().toString();
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith(name))
          .filter(p -> key.equals(fileKey(p)))
          .findFirst();
    }
  }

  /** The file's identity (device and inode on Linux), or null if it does not exist. */
  static String fileKey(Path p) {
    try {
      Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
      return key == null ? p.toString() : key.toString();
    } catch (IOException e) {
      return null;
    }
  }

  private void pause(long ms) {
    try {
      stop.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.countDown();
    }
  }

  /** What the summary should add: how steps without a time of their own were stamped. */
  public List<String> notes() {
    return time.notes();
  }

  /** What it published and rejected so far. */
  public EventPublisher.Totals totals() {
    return publisher.totals();
  }

  public void stop() {
    stop.countDown();
  }

  @Override
  public void close() {
    publisher.close();
  }

  public static void main(String[] args) {
    List<String> notes = new ArrayList<>();
    CollectorExit.runUntilStopped(
        "log-follower",
        stop -> {
          try (TrainingLogFollower follower =
              new TrainingLogFollower(CollectorConfig.fromArgs(args))) {
            stop.attach(follower::stop);
            follower.run();
            notes.addAll(follower.notes());
            return follower.totals();
          }
        },
        notes);
  }
}
