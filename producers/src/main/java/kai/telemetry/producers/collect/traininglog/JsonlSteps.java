package kai.telemetry.producers.collect.traininglog;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON lines, one object per logged step (schema in the README): {@code step} (or {@code
 * global_step}, {@code iteration}; required), the step's metrics {@code loss} ({@code lm_loss},
 * {@code train_loss}, {@code train/loss}), {@code lr} / {@code learning_rate}, {@code grad_norm},
 * {@code tokens} (cumulative), {@code tokens_per_sec}, {@code step_time_ms}, and the time as {@code
 * ts} / {@code time} / {@code timestamp} (epoch seconds, epoch ms, or ISO-8601). Every other number
 * (val_loss, eval_accuracy, epoch) is a named scalar of that step, never the training loss. An
 * object with none of the step's metrics but other numbers (a validation line) gives scalars only;
 * a trainer's final summary (it has {@code train_runtime}: its {@code train_loss} is the run's
 * average) gives scalars only. Python's bare {@code NaN} and {@code Infinity}, and the strings
 * "nan" / "inf", are read as such.
 */
final class JsonlSteps implements StepLineParser {
  static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private static final Set<String> NOT_SCALARS =
      Set.of("step", "global_step", "iteration", "ts", "time", "timestamp", "run_id");
  private static final List<String> LOSS = List.of("loss", "lm_loss", "train_loss", "train/loss");
  private static final List<String> LR = List.of("lr", "learning_rate", "train/learning_rate");
  private static final List<String> GRAD = List.of("grad_norm", "train/grad_norm");
  private static final List<String> TOKENS =
      List.of("tokens", "consumed_tokens", "num_tokens", "num_input_tokens_seen");
  private static final List<String> TPS = List.of("tokens_per_sec", "throughput");
  private static final List<String> STEP_MS = List.of("step_time_ms");

  private final Context ctx;

  JsonlSteps(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public void parse(String line, String where, TrainingRecords out) {
    if (line.isBlank()) {
      out.skip("blank line");
      return;
    }
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (Exception e) {
      out.problem(where, "not a JSON object: " + firstLine(e.getMessage()), line);
      return;
    }
    if (n == null || !n.isObject()) {
      out.problem(where, "not a JSON object", line);
      return;
    }
    JsonNode step =
        n.has("step")
            ? n.get("step")
            : n.has("global_step") ? n.get("global_step") : n.get("iteration");
    if (step == null
        || !step.canConvertToLong()
        || (step.isFloatingPointNumber() && step.asDouble() != Math.rint(step.asDouble()))) {
      out.problem(where, "no integer \"step\" (or \"global_step\", \"iteration\")", line);
      return;
    }
    try {
      String run = text(n, "run_id");
      Context c =
          run == null
              ? ctx
              : new Context(
                  ctx.team(), run, ctx.seqLen(), ctx.time(), ctx.hfLoggingSteps(), ctx.pattern());
      long ts = ctx.time().stamp(time(n), null);
      metrics(c, n, step.asLong(), ts, "jsonl:" + where, out);
    } catch (IllegalArgumentException e) {
      out.problem(where, e.getMessage(), line);
    }
  }

  /**
   * Turns one object of metrics at {@code step} into a step and/or scalars, as the class says
   * (shared with the Trainer's state file, whose log entries have the same shape).
   */
  static void metrics(
      Context ctx, JsonNode n, long step, long ts, String source, TrainingRecords out) {
    boolean summary = n.has("train_runtime");
    Double loss = summary ? null : number(n, LOSS);
    Double lr = number(n, LR);
    Double grad = number(n, GRAD);
    Double tokensD = number(n, TOKENS);
    Double tps = number(n, TPS);
    Double stepMs = number(n, STEP_MS);
    Long tokens = tokensD == null ? null : TrainingRecords.whole("tokens", tokensD);
    Set<String> used = new java.util.HashSet<>(NOT_SCALARS);
    boolean stepMetrics = false;
    if (!summary) {
      for (List<String> keys : List.of(LOSS, LR, GRAD, TOKENS, TPS, STEP_MS)) {
        for (String k : keys) {
          if (n.has(k) && !n.get(k).isNull()) {
            used.add(k);
            stepMetrics = true;
          }
        }
      }
    }
    List<Map.Entry<String, Double>> others = new java.util.ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (used.contains(f.getKey()) || f.getValue().isNull()) {
        continue;
      }
      Double v = numeric(f.getValue());
      if (v != null) {
        others.add(Map.entry(f.getKey(), v));
      }
    }
    if (stepMetrics || others.isEmpty() && !summary) {
      out.step(
          TrainingRecords.stepOf(ctx, step, ts)
              .setTokens(tokens)
              .setLoss(loss)
              .setLearningRate(lr)
              .setGradNorm(grad)
              .setTokensPerSec(tps)
              .setStepTimeMs(stepMs)
              .setSource(source)
              .build());
    }
    for (Map.Entry<String, Double> e : others) {
      out.scalar(ctx, step, ts, e.getKey(), e.getValue(), source);
    }
  }

  private static Long time(JsonNode n) {
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
    return null;
  }

  /** The first of {@code keys} present, as a number; a present non-number is an error. */
  static Double number(JsonNode n, List<String> keys) {
    for (String k : keys) {
      JsonNode v = n.get(k);
      if (v == null || v.isNull()) {
        continue;
      }
      Double d = numeric(v);
      if (d == null) {
        throw new IllegalArgumentException("\"" + k + "\" '" + v.asText() + "' is not a number");
      }
      return d;
    }
    return null;
  }

  /** A JSON number, or a string holding one (or nan / inf); null for anything else. */
  static Double numeric(JsonNode v) {
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      try {
        return TrainingRecords.number(v.asText());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  static String firstLine(String s) {
    return s == null ? "" : s.split("\n")[0];
  }
}
