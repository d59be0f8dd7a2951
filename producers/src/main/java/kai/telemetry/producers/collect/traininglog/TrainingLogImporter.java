package kai.telemetry.producers.collect.traininglog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.TextLines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports a finished training log in one go: any line format (its last line read even without a
 * newline) or a whole-file format (the Trainer's state, Megatron golden values, TensorBoard event
 * files). Steps without a time of their own are stamped from {@code log.start.time}, never with the
 * time of the import. Publishing is idempotent per producer session; importing the same file twice
 * publishes its records twice, which the tables collapse (their keys are the step and its time).
 */
public final class TrainingLogImporter {
  private static final Logger log = LoggerFactory.getLogger(TrainingLogImporter.class);

  /** Records gathered before they are published (and forgotten). */
  static final int DRAIN_AT = 10_000;

  private TrainingLogImporter() {}

  /** What an import read, published and noted. */
  public record Result(EventPublisher.Totals totals, List<String> notes) {}

  public static Result importFile(CollectorConfig config) throws IOException {
    String name = config.getString(CollectorConfig.LOG_FILE);
    Path file = Path.of(name);
    if (name.isBlank() || !(Files.isRegularFile(file) || Files.isDirectory(file))) {
      throw new IllegalArgumentException(
          CollectorConfig.LOG_FILE + " must name the log to import, got '" + name + "'");
    }
    String format = config.getString(CollectorConfig.LOG_FORMAT);
    Long start = startTime(config);
    LogTime time = new LogTime(start, false, zone(config));
    StepLineParser.Context ctx = context(config, time);
    if (TrainingFiles.FORMATS.contains(format)) {
      if (start == null && TrainingFiles.needsStartTime(format)) {
        throw new IllegalArgumentException(
            format
                + " files hold no wall-clock time: set "
                + CollectorConfig.LOG_START_TIME
                + " to the run's start (ISO-8601)");
      }
    } else if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(
          name + " is a directory; format " + format + " reads a file");
    }
    try (EventPublisher publisher = new EventPublisher(config, "training-log", null)) {
      long now = System.currentTimeMillis();
      // Published as read, DRAIN_AT records at a time: memory stays bounded whatever the file.
      TrainingRecords out =
          new TrainingRecords(
              DRAIN_AT,
              r -> {
                publisher.trainingSteps(r.parsedSteps(), now);
                publisher.trainingScalars(r.scalars(), now);
                publisher.throwIfFailed();
              });
      if (TrainingFiles.FORMATS.contains(format)) {
        TrainingFiles.read(
            format, file, ctx, config.getString(CollectorConfig.LOG_TB_LOSS_TAG), out);
      } else {
        readLines(file, StepLineParser.forFormat(format, ctx), config, out);
      }
      out.drain();
      publisher.skipped(out.skipped());
      publisher.flush();
      log.info("read {}: {}", file, publisher.summary());
      return new Result(publisher.totals(), time.notes());
    }
  }

  private static void readLines(
      Path file, StepLineParser parser, CollectorConfig config, TrainingRecords out)
      throws IOException {
    TextLines lines = new TextLines(config.getInt(CollectorConfig.MAX_LINE_BYTES), 0, 0);
    String name = file.getFileName().toString();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        for (TextLines.Line line : lines.feed(buf, n)) {
          read(parser, name, line, out);
        }
      }
    }
    lines.end().ifPresent(line -> read(parser, name, line, out));
    parser.finish(out);
  }

  private static void read(
      StepLineParser parser, String name, TextLines.Line line, TrainingRecords out) {
    String where = name + ":" + line.number();
    if (line.ok()) {
      parser.parse(line.text(), where, out);
    } else {
      out.problem(where, line.problem(), line.raw());
    }
  }

  /** The reading settings of a training log, shared with the follower. */
  static StepLineParser.Context context(CollectorConfig config, LogTime time) {
    String runId = config.getString(CollectorConfig.LOG_RUN_ID);
    if (runId.isBlank()) {
      throw new IllegalArgumentException(
          CollectorConfig.LOG_RUN_ID + " must be set (the run the steps belong to)");
    }
    int seqLen = config.getInt(CollectorConfig.LOG_SEQ_LEN);
    return new StepLineParser.Context(
        config.team(),
        runId,
        seqLen == 0 ? null : seqLen,
        time,
        config.getInt(CollectorConfig.LOG_HF_LOGGING_STEPS),
        config.getString(CollectorConfig.LOG_PATTERN));
  }

  /** {@code log.timezone}, checked. */
  static java.time.ZoneId zone(CollectorConfig config) {
    String z = config.getString(CollectorConfig.LOG_TIMEZONE);
    try {
      return java.time.ZoneId.of(z);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException(
          CollectorConfig.LOG_TIMEZONE + " '" + z + "' is not a time zone (e.g. UTC, Asia/Seoul)");
    }
  }

  /** {@code log.start.time} in epoch ms, or null when not set. */
  static Long startTime(CollectorConfig config) {
    String text = config.getString(CollectorConfig.LOG_START_TIME).strip();
    if (text.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(text.replace(' ', 'T'))
            .atZone(zone(config))
            .toInstant()
            .toEpochMilli();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(
            CollectorConfig.LOG_START_TIME
                + " '"
                + text
                + "' is not an ISO-8601 instant (2026-03-01T09:00:00Z) or date-time");
      }
    }
  }

  public static void main(String[] args) {
    List<String> notes = new ArrayList<>();
    CollectorExit.run(
        "training-log",
        () -> {
          Result r = importFile(CollectorConfig.fromArgs(args));
          notes.addAll(r.notes());
          return r.totals();
        },
        notes);
  }
}
