package kai.telemetry.producers.collect.traininglog;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a training log line by line: a step line becomes a {@code TrainingStep}, a validation or
 * eval line named scalars, a malformed step line a problem, anything else is counted as skipped. A
 * reader may keep state between lines (the last step, for a validation line that names none; a
 * record the trainer wrapped over several lines), so one instance reads one log in order.
 */
public interface StepLineParser {

  /** The line formats, as {@code log.format} names them. */
  List<String> FORMATS = List.of("jsonl", "megatron", "nanogpt", "hf-trainer", "pattern");

  /**
   * Where the steps belong and how to read them.
   *
   * @param seqLen sequence length, to turn consumed samples into tokens (null if unknown)
   * @param time how steps without a time of their own are stamped
   * @param hfLoggingSteps the Trainer's logging_steps, for its stdout, which prints no step
   * @param pattern the line pattern of format {@code pattern}
   */
  record Context(
      String team, String runId, Integer seqLen, LogTime time, int hfLoggingSteps, String pattern) {

    /** A live log with default settings. */
    public Context(String team, String runId, Integer seqLen) {
      this(team, runId, seqLen, LogTime.live(), 500, "");
    }
  }

  /** Reads one line; {@code where} is its file and line number, for problems and sources. */
  void parse(String line, String where, TrainingRecords out);

  /**
   * True while a record has begun but not ended (a wrapped line): the caller must not take the
   * position after this line as a place to resume from.
   */
  default boolean pending() {
    return false;
  }

  /** The input ended: a record still open is reported. */
  default void finish(TrainingRecords out) {}

  static StepLineParser forFormat(String format, Context ctx) {
    return switch (format) {
      case "jsonl" -> new JsonlSteps(ctx);
      case "megatron" -> new MegatronSteps(ctx);
      case "nanogpt" -> new NanoGptSteps(ctx);
      case "hf-trainer" -> new HfTrainerStdout(ctx);
      case "pattern" -> new PatternSteps(ctx);
      default ->
          throw new IllegalArgumentException(
              "unknown log format '" + format + "': use one of " + String.join(", ", FORMATS));
    };
  }

  /**
   * Launchers prefix every line of a rank's output: torchrun {@code [default7]:}, Slurm's {@code
   * srun --label} {@code 7: }, Open MPI {@code [1,7]<stdout>:}, pdsh {@code worker-7: }. Removed
   * before reading, repeatedly (they nest); a Megatron timestamp {@code [2025-01-15 10:23:45]} is
   * not one (it has a space and no colon after it).
   */
  Pattern LAUNCHER_PREFIX =
      Pattern.compile(
          "^\\s*(?:\\[[^\\]\\s]{1,64}\\](?:<std(?:out|err)>)?:\\s?|\\d{1,6}:\\s|[A-Za-z0-9_.-]{1,64}:\\s(?=\\s*[\\[{]|\\s*(?:iteration|step|iter|validation)\\b))");

  static String stripLauncherPrefix(String line) {
    String s = line;
    for (int i = 0; i < 4; i++) {
      var m = LAUNCHER_PREFIX.matcher(s);
      if (!m.find()) {
        break;
      }
      s = s.substring(m.end());
    }
    return s;
  }
}
