package kai.telemetry.producers.collect.lmeval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import kai.telemetry.events.Evaluator;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.program.ProgramFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Imports one lm-evaluation-harness results file as benchmark results of a team. */
public final class LmEvalImporter {
  private static final Logger log = LoggerFactory.getLogger(LmEvalImporter.class);

  private LmEvalImporter() {}

  /** What an import read and what it published. */
  public record Result(LmEvalResults.Imported imported, EventPublisher.Totals totals) {}

  public static Result importFile(CollectorConfig config) throws IOException {
    Path file = Path.of(config.getString(CollectorConfig.LMEVAL_FILE));
    if (config.getString(CollectorConfig.LMEVAL_FILE).isBlank() || !Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          CollectorConfig.LMEVAL_FILE + " must name a results JSON file, got '" + file + "'");
    }
    ProgramFile program = ProgramFile.load(config.getString(CollectorConfig.PROGRAM_FILE));
    String model = config.getString(CollectorConfig.LMEVAL_MODEL);
    String checkpoint = config.getString(CollectorConfig.LMEVAL_CHECKPOINT);
    LmEvalResults.Imported imported =
        LmEvalResults.read(
            Files.readString(file, StandardCharsets.UTF_8),
            file.toString(),
            program,
            new LmEvalResults.Context(
                config.team(),
                checkpoint.isBlank() ? null : checkpoint,
                Evaluator.valueOf(config.getString(CollectorConfig.LMEVAL_EVALUATOR)),
                model.isBlank() ? null : model),
            date(config.getString(CollectorConfig.LMEVAL_DATE)));
    try (EventPublisher publisher = new EventPublisher(config, "lm-eval", null)) {
      publisher.benchmarkResults(imported.parsed(), System.currentTimeMillis());
      for (String task : imported.skippedTasks()) {
        publisher.skipped(java.util.Map.of("task not in the benchmark catalogue: " + task, 1L));
      }
      publisher.flush();
      if (!imported.skippedTasks().isEmpty()) {
        log.info(
            "tasks not in the benchmark catalogue (not imported): {}", imported.skippedTasks());
      }
      log.info("{}", publisher.summary());
      return new Result(imported, publisher.totals());
    }
  }

  /** The {@code lmeval.date} setting in epoch ms, or null when not given. */
  static Long date(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return text.length() == 10
          ? java.time.LocalDate.parse(text)
              .atStartOfDay(java.time.ZoneOffset.UTC)
              .toInstant()
              .toEpochMilli()
          : java.time.Instant.parse(text).toEpochMilli();
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          CollectorConfig.LMEVAL_DATE
              + " '"
              + text
              + "' is not a date (YYYY-MM-DD) or an ISO-8601 instant");
    }
  }

  public static void main(String[] args) {
    java.util.List<String> notes = new java.util.ArrayList<>();
    CollectorExit.run(
        "lm-eval",
        () -> {
          Result r = importFile(CollectorConfig.fromArgs(args));
          if (!r.imported().skippedTasks().isEmpty()) {
            notes.add(
                "tasks not in the benchmark catalogue (not imported): "
                    + r.imported().skippedTasks());
          }
          if (!r.imported().countedInGroup().isEmpty()) {
            notes.add(
                "subtasks counted in their benchmark's group score (their own rows are marked"
                    + " subtask): "
                    + r.imported().countedInGroup());
          }
          return r.totals();
        },
        notes);
  }
}
