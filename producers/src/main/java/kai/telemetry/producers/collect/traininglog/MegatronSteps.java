package kai.telemetry.producers.collect.traininglog;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.Parsed;

/**
 * Megatron-LM's training log: one line per logged iteration, fields separated by " | ", e.g. {@code
 * [2025-01-15 10:23:45] iteration 100/ 500000 | consumed samples: 51200 | elapsed time per
 * iteration (ms): 1234.5 | learning rate: 1.500000E-04 | global batch size: 512 | lm loss:
 * 2.345678E+00 | loss scale: 1.0 | grad norm: 0.456 | number of skipped iterations: 0 | number of
 * nan iterations: 0 |}. Other lines are not steps. Tokens are consumed samples x sequence length
 * (when the sequence length is configured) or the "consumed tokens" field when present. The
 * timestamp prefix, printed by recent versions, is taken as UTC.
 */
final class MegatronSteps implements StepLineParser {
  private static final Pattern ITERATION = Pattern.compile("\\biteration\\s+(\\d+)\\s*/\\s*(\\d+)");
  private static final Pattern STAMP =
      Pattern.compile("^\\s*\\[(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})\\]");
  private static final String NUM =
      "([-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|nan|NaN|inf|Inf|-inf))";
  private static final Pattern SAMPLES = Pattern.compile("consumed samples:\\s*(\\d+)");
  private static final Pattern TOKENS = Pattern.compile("consumed tokens:\\s*(\\d+)");
  private static final Pattern ELAPSED =
      Pattern.compile("elapsed time per iteration \\(ms\\):\\s*" + NUM);
  private static final Pattern LR = Pattern.compile("learning rate:\\s*" + NUM);
  private static final Pattern BATCH = Pattern.compile("global batch size:\\s*(\\d+)");
  private static final Pattern LOSS = Pattern.compile("lm loss:\\s*" + NUM);
  private static final Pattern GRAD = Pattern.compile("grad norm:\\s*" + NUM);
  private static final DateTimeFormatter STAMP_FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final Context ctx;

  MegatronSteps(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Optional<TrainingStep> parse(
      String line, String where, long fallbackTsMs, Parsed<TrainingStep> problems) {
    if (!line.contains(" iteration ") || !line.contains("|")) {
      return Optional.empty(); // not an iteration line: start-up output, warnings, ...
    }
    Matcher it = ITERATION.matcher(line);
    if (!it.find()) {
      problems.problem(where, "iteration line without 'iteration <n>/<total>'", line);
      return Optional.empty();
    }
    try {
      long step = Long.parseLong(it.group(1));
      Matcher stamp = STAMP.matcher(line);
      long ts =
          stamp.find()
              ? LocalDateTime.parse(stamp.group(1), STAMP_FORMAT)
                  .toInstant(ZoneOffset.UTC)
                  .toEpochMilli()
              : fallbackTsMs;
      Double elapsed = number(ELAPSED, line);
      Long batch = integer(BATCH, line);
      Long tokens = integer(TOKENS, line);
      Long samples = integer(SAMPLES, line);
      if (tokens == null && samples != null && ctx.seqLen() != null) {
        tokens = samples * ctx.seqLen();
      }
      Double tps = null;
      if (elapsed != null && elapsed > 0 && batch != null && ctx.seqLen() != null) {
        tps = batch * (double) ctx.seqLen() / (elapsed / 1000.0);
      }
      // Null when absent: Megatron omits the loss on iterations it skipped (nan/inf gradients).
      Double loss = number(LOSS, line);
      return Optional.of(
          TrainingStep.newBuilder()
              .setTeam(ctx.team())
              .setRunId(ctx.runId())
              .setStep(step)
              .setTsMs(ts)
              .setTokens(tokens)
              .setLoss(loss)
              .setLearningRate(number(LR, line))
              .setGradNorm(number(GRAD, line))
              .setTokensPerSec(tps)
              .setStepTimeMs(elapsed)
              .setSource("megatron:" + where)
              .build());
    } catch (RuntimeException e) {
      problems.problem(where, "malformed Megatron iteration line: " + e.getMessage(), line);
      return Optional.empty();
    }
  }

  private static Double number(Pattern p, String line) {
    Matcher m = p.matcher(line);
    if (!m.find()) {
      return null;
    }
    String s = m.group(1);
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "nan" -> Double.NaN;
      case "inf", "+inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }

  private static Long integer(Pattern p, String line) {
    Matcher m = p.matcher(line);
    return m.find() ? Long.parseLong(m.group(1)) : null;
  }
}
