package kai.telemetry.producers.collect.traininglog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.Parsed;
import kai.telemetry.producers.collect.Problem;

/**
 * What a training-log reader made of its input: steps (the training loss and the step's own
 * metrics), named scalars (validation loss, eval metrics, a final summary: never a step's loss),
 * problems with their position, and lines that were neither, counted by why.
 */
public final class TrainingRecords {
  private final Parsed<TrainingStep> steps = new Parsed<>();
  private final List<TrainingScalar> scalars = new ArrayList<>();
  private final Map<String, Long> skipped = new TreeMap<>();
  private final int drainAt;
  private final java.util.function.Consumer<TrainingRecords> drain;

  /** Records kept until the caller takes them (a follower's batch). */
  public TrainingRecords() {
    this(Integer.MAX_VALUE, r -> {});
  }

  /**
   * Records handed to {@code drain} whenever {@code drainAt} of them (steps, scalars and problems)
   * have gathered, then forgotten: a whole file of any size is read in bounded memory. The counts
   * of lines passed over are kept.
   */
  public TrainingRecords(int drainAt, java.util.function.Consumer<TrainingRecords> drain) {
    this.drainAt = drainAt;
    this.drain = drain;
  }

  /** Hands what has gathered to the drain and forgets it. */
  public void drain() {
    drain.accept(this);
    steps.records().clear();
    steps.problems().clear();
    scalars.clear();
  }

  private void gathered() {
    if (steps.records().size() + steps.problems().size() + scalars.size() >= drainAt) {
      drain();
    }
  }

  /** A step of the context's team and run at {@code step}, stamped {@code tsMs}, to fill in. */
  public static TrainingStep.Builder stepOf(StepLineParser.Context ctx, long step, long tsMs) {
    return TrainingStep.newBuilder()
        .setTeam(ctx.team())
        .setRunId(ctx.runId())
        .setStep(step)
        .setTsMs(tsMs);
  }

  public void step(TrainingStep s) {
    steps.add(s);
    gathered();
  }

  public void scalar(
      StepLineParser.Context ctx, long step, long tsMs, String name, double value, String source) {
    scalars.add(
        TrainingScalar.newBuilder()
            .setTeam(ctx.team())
            .setRunId(ctx.runId())
            .setStep(step)
            .setTsMs(tsMs)
            .setName(name.strip())
            .setValue(value)
            .setSource(source)
            .build());
    gathered();
  }

  public void problem(String where, String reason, String raw) {
    steps.problem(where, reason, raw);
    gathered();
  }

  /** A line that holds nothing this format reads (start-up output, a progress bar). */
  public void skip(String why) {
    skipped.merge(why, 1L, Long::sum);
  }

  public List<TrainingStep> steps() {
    return steps.records();
  }

  public List<TrainingScalar> scalars() {
    return scalars;
  }

  public List<Problem> problems() {
    return steps.problems();
  }

  /** The steps with the problems, for the publisher. */
  public Parsed<TrainingStep> parsedSteps() {
    return steps;
  }

  public Map<String, Long> skipped() {
    return skipped;
  }

  /**
   * A number as trainers print it: decimal or E-notation, and nan / inf / -inf in any case (Python
   * prints {@code nan}, {@code inf}; C prints {@code -nan}); a trailing unit such as {@code ms} or
   * {@code %} is not part of it.
   *
   * @throws NumberFormatException when it is not one
   */
  public static double number(String text) {
    String s = text.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    return switch (lower) {
      case "nan", "-nan", "+nan" -> Double.NaN;
      case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
      case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
      default -> {
        if (!s.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
          throw new NumberFormatException("'" + abbreviate(s) + "' is not a number");
        }
        yield Double.parseDouble(s);
      }
    };
  }

  /** A whole number of tokens or samples, refusing fractions and values beyond a long. */
  public static long whole(String field, double d) {
    if (!Double.isFinite(d) || d != Math.rint(d) || Math.abs(d) >= 0x1p63) {
      throw new IllegalArgumentException(field + " " + d + " is not a whole number in range");
    }
    return (long) d;
  }

  static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }
}
