package kai.telemetry.producers.collect.traininglog;

import java.util.Optional;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.Parsed;

/** Reads one line of a training log; lines that are not step metrics yield nothing. */
public interface StepLineParser {

  /** Where the steps belong. */
  record Context(String team, String runId, Integer seqLen) {}

  /**
   * @param fallbackTsMs event time for formats whose lines carry none (the time the line was read)
   * @return the step, if the line is one; a malformed step line is reported to {@code problems}
   */
  Optional<TrainingStep> parse(
      String line, String where, long fallbackTsMs, Parsed<TrainingStep> problems);

  static StepLineParser forFormat(String format, Context ctx) {
    return switch (format) {
      case "jsonl" -> new JsonlSteps(ctx);
      case "megatron" -> new MegatronSteps(ctx);
      default ->
          throw new IllegalArgumentException(
              "unknown log format '" + format + "': use jsonl or megatron");
    };
  }
}
