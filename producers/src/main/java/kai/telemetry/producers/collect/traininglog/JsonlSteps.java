package kai.telemetry.producers.collect.traininglog;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.Parsed;

/**
 * JSON lines, one object per logged step (schema in the README): {@code step} (required), {@code
 * loss}, {@code lr} or {@code learning_rate}, {@code grad_norm}, {@code tokens} (cumulative),
 * {@code tokens_per_sec}, {@code step_time_ms}, and the time as {@code ts} / {@code time} / {@code
 * timestamp} (epoch seconds, epoch ms, or ISO-8601). Python's bare {@code NaN} and {@code
 * Infinity}, and the strings "nan" / "inf", are read as such.
 */
final class JsonlSteps implements StepLineParser {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private final Context ctx;

  JsonlSteps(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Optional<TrainingStep> parse(
      String line, String where, long fallbackTsMs, Parsed<TrainingStep> problems) {
    if (line.isBlank()) {
      return Optional.empty();
    }
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (Exception e) {
      problems.problem(where, "not a JSON object: " + firstLine(e.getMessage()), line);
      return Optional.empty();
    }
    if (!n.isObject()) {
      problems.problem(where, "not a JSON object", line);
      return Optional.empty();
    }
    JsonNode step =
        n.has("step")
            ? n.get("step")
            : n.has("global_step") ? n.get("global_step") : n.get("iteration");
    if (step == null
        || !step.canConvertToLong()
        || (step.isFloatingPointNumber() && step.asDouble() != Math.rint(step.asDouble()))) {
      problems.problem(where, "no integer \"step\" (or \"global_step\", \"iteration\")", line);
      return Optional.empty();
    }
    try {
      String run = text(n, "run_id");
      return Optional.of(
          TrainingStep.newBuilder()
              .setTeam(ctx.team())
              .setRunId(run != null ? run : ctx.runId())
              .setStep(step.asLong())
              .setTsMs(time(n, fallbackTsMs))
              .setTokens(integer(n, "tokens", "consumed_tokens", "num_tokens"))
              .setLoss(number(n, "loss", "lm_loss", "train_loss"))
              .setLearningRate(number(n, "lr", "learning_rate"))
              .setGradNorm(number(n, "grad_norm"))
              .setTokensPerSec(number(n, "tokens_per_sec", "throughput"))
              .setStepTimeMs(number(n, "step_time_ms"))
              .setSource("jsonl:" + where)
              .build());
    } catch (IllegalArgumentException e) {
      problems.problem(where, e.getMessage(), line);
      return Optional.empty();
    }
  }

  private static long time(JsonNode n, long fallback) {
    for (String k : new String[] {"ts", "time", "timestamp"}) {
      JsonNode v = n.get(k);
      if (v == null || v.isNull()) {
        continue;
      }
      if (v.isNumber()) {
        double d = v.asDouble();
        // Epoch seconds (possibly fractional) until year 5138; anything larger is ms.
        return d < 1e11 ? Math.round(d * 1000) : Math.round(d);
      }
      try {
        return Instant.parse(v.asText()).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "\"" + k + "\" '" + v.asText() + "' is neither epoch seconds/ms nor ISO-8601");
      }
    }
    return fallback;
  }

  static Double number(JsonNode n, String... keys) {
    for (String k : keys) {
      JsonNode v = n.get(k);
      if (v == null || v.isNull()) {
        continue;
      }
      if (v.isNumber()) {
        return v.asDouble();
      }
      String s = v.asText().strip().toLowerCase(java.util.Locale.ROOT);
      switch (s) {
        case "nan":
          return Double.NaN;
        case "inf", "+inf", "infinity":
          return Double.POSITIVE_INFINITY;
        case "-inf", "-infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          try {
            return Double.parseDouble(s);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "\"" + k + "\" '" + v.asText() + "' is not a number");
          }
      }
    }
    return null;
  }

  private static Long integer(JsonNode n, String... keys) {
    Double d = number(n, keys);
    if (d == null) {
      return null;
    }
    if (!Double.isFinite(d) || d != Math.rint(d)) {
      throw new IllegalArgumentException("token count " + d + " is not a whole number");
    }
    return d.longValue();
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.split("\n")[0];
  }

  static {
    JSON.getFactory().enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);
  }
}
