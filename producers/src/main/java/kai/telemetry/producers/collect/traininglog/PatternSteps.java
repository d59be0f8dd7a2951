package kai.telemetry.producers.collect.traininglog;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A trainer this pipeline has no reader for, described by configuration: {@code log.pattern} is a
 * Java regular expression with named groups, found anywhere in a line. {@code step} is required;
 * {@code loss}, {@code lr}, {@code gradnorm}, {@code tokens}, {@code tps} (tokens per second),
 * {@code stepms} (step time, ms) and {@code ts} (epoch seconds or ms, or ISO-8601) fill the step's
 * fields; any other named group is a scalar of that name. Lines it does not find are skipped.
 * Example for {@code | step 100 | loss 2.31 | val 2.40 |}: {@code step (?<step>\d+) \| loss
 * (?<loss>\S+) \| val (?<val>\S+)}.
 */
final class PatternSteps implements StepLineParser {
  private static final Pattern GROUP = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>");
  private static final Set<String> STEP_FIELDS =
      Set.of("step", "loss", "lr", "gradnorm", "tokens", "tps", "stepms", "ts");

  private final Context ctx;
  private final Pattern pattern;
  private final java.util.List<String> groups = new java.util.ArrayList<>();

  PatternSteps(Context ctx) {
    this.ctx = ctx;
    if (ctx.pattern() == null || ctx.pattern().isBlank()) {
      throw new IllegalArgumentException(
          "log.format=pattern needs log.pattern: a regular expression with a named group 'step'");
    }
    try {
      this.pattern = Pattern.compile(ctx.pattern());
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "log.pattern is not a regular expression: " + e.getMessage());
    }
    Matcher g = GROUP.matcher(ctx.pattern());
    while (g.find()) {
      groups.add(g.group(1));
    }
    if (!groups.contains("step")) {
      throw new IllegalArgumentException("log.pattern has no named group 'step': (?<step>\\d+)");
    }
  }

  @Override
  public void parse(String line, String where, TrainingRecords out) {
    Matcher m = pattern.matcher(line);
    if (!m.find()) {
      out.skip("the line does not match log.pattern");
      return;
    }
    try {
      long step = TrainingRecords.whole("step", TrainingRecords.number(m.group("step")));
      Map<String, Double> scalars = new LinkedHashMap<>();
      for (String g : groups) {
        if (!STEP_FIELDS.contains(g) && m.group(g) != null) {
          scalars.put(g, TrainingRecords.number(m.group(g)));
        }
      }
      long ts = ctx.time().stamp(time(m), null);
      Double tokens = num(m, "tokens");
      boolean stepFields =
          groups.stream()
              .anyMatch(
                  g ->
                      STEP_FIELDS.contains(g)
                          && !g.equals("step")
                          && !g.equals("ts")
                          && m.group(g) != null);
      String source = "pattern:" + where;
      if (stepFields || scalars.isEmpty()) {
        out.step(
            TrainingRecords.stepOf(ctx, step, ts)
                .setLoss(num(m, "loss"))
                .setLearningRate(num(m, "lr"))
                .setGradNorm(num(m, "gradnorm"))
                .setTokens(tokens == null ? null : TrainingRecords.whole("tokens", tokens))
                .setTokensPerSec(num(m, "tps"))
                .setStepTimeMs(num(m, "stepms"))
                .setSource(source)
                .build());
      }
      scalars.forEach((k, v) -> out.scalar(ctx, step, ts, k, v, source));
    } catch (RuntimeException e) {
      out.problem(where, "line matches log.pattern but " + e.getMessage(), line);
    }
  }

  private Double num(Matcher m, String group) {
    if (!groups.contains(group) || m.group(group) == null) {
      return null;
    }
    return TrainingRecords.number(m.group(group));
  }

  private Long time(Matcher m) {
    if (!groups.contains("ts") || m.group("ts") == null) {
      return null;
    }
    String t = m.group("ts");
    try {
      double d = Double.parseDouble(t);
      return d < 1e11 ? Math.round(d * 1000) : Math.round(d);
    } catch (NumberFormatException e) {
      return Instant.parse(t).toEpochMilli();
    }
  }
}
