package kai.telemetry.producers.collect.traininglog;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kai.telemetry.events.TrainingStep;

/**
 * The nanoGPT / llm.c family of training logs, three shapes:
 *
 * <ul>
 *   <li>{@code key:value} lines (modded-nanogpt, llm.c's log file): {@code step:125/1393
 *       train_loss:4.21 train_time:61234ms step_avg:489.87ms} or {@code s:250 trl:3.98 lr:0.0006
 *       norm:0.31}; {@code train_loss} / {@code trl} is the loss, {@code lr}, {@code norm}, {@code
 *       train_time} the cumulative training time. A line with {@code val_loss} / {@code tel} (or
 *       llm.c's {@code eval}) repeats a step for a validation: its values are scalars ({@code
 *       val_loss}, {@code eval}) of that step, not a new step;
 *   <li>nanoGPT's {@code iter 100: loss 3.2109, time 120.55ms, mfu 31.20%} (a step) and {@code step
 *       250: train loss 2.1023, val loss 2.2011} (scalars {@code train_loss_eval}, {@code
 *       val_loss});
 *   <li>llm.c's console: {@code step 1/74 | loss 11.010977 (+nanz)| norm 15.4248 (+nanz)| lr
 *       6.00e-06 | 1047.37 ms | 13.1% bf16 MFU | 500520 tok/s} (its PyTorch script: {@code step
 *       1/74 | train loss 11.010977 | norm 15.4248 | lr 6.00e-06 | (1047.37 ms | 500520 tok/s)})
 *       and {@code val loss 4.503} (scalar {@code val_loss} of the last step). The console counts
 *       steps from 1, llm.c's log file ({@code s:0 trl:...}) from 0: each is read as printed.
 * </ul>
 *
 * None prints a wall-clock time: {@link LogTime} stamps the steps, with train_time or the summed
 * step times as the elapsed time.
 */
final class NanoGptSteps implements StepLineParser {
  private static final Pattern KEY_VALUE_LINE =
      Pattern.compile("^\\s*(?:step|s):(\\d+)(?:/(\\d+))?(\\s.*)?$");
  private static final Pattern PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_/.-]*):(\\S+)");
  private static final Pattern VALUE_UNIT =
      Pattern.compile(
          "^([-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|\\.\\d+|nan|inf))(ms|s|%)?$",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern ITER =
      Pattern.compile(
          "^\\s*iter (\\d+): loss ([-+0-9.eEnaif]+), time ([-+0-9.eE]+)ms(?:, mfu ([-+0-9.eE]+)%)?");
  private static final Pattern EVAL =
      Pattern.compile("^\\s*step (\\d+): train loss ([-+0-9.eEnaif]+), val loss ([-+0-9.eEnaif]+)");
  private static final Pattern LLMC_STEP =
      Pattern.compile("^\\s*step\\s+(\\d+)/(\\d+)\\s*\\|(.*)$");
  private static final Pattern LLMC_VAL = Pattern.compile("^\\s*val loss ([-+0-9.eEnaif]+)\\s*$");
  private static final Pattern LLMC_FIELD =
      Pattern.compile(
          "^\\s*\\(?\\s*(?:(?:train\\s+)?(loss|norm|lr)\\s+([-+0-9.eEnaif]+)|([-+0-9.eE]+)\\s*ms|([-+0-9.eE]+)\\s*tok/s)\\b");

  private final Context ctx;
  private long lastStep = -1;
  private Long lastTs;
  private long elapsedMs;

  NanoGptSteps(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public void parse(String line, String where, TrainingRecords out) {
    String s = StepLineParser.stripLauncherPrefix(line);
    String source = "nanogpt:" + where;
    try {
      Matcher m;
      if ((m = ITER.matcher(s)).find()) {
        long step = Long.parseLong(m.group(1));
        double ms = TrainingRecords.number(m.group(3));
        long ts = advance(step, null, ms);
        out.step(step(step, ts, TrainingRecords.number(m.group(2)), null, null, ms, null, source));
        if (m.group(4) != null && TrainingRecords.number(m.group(4)) > 0) {
          out.scalar(ctx, step, ts, "mfu_pct", TrainingRecords.number(m.group(4)), source);
        }
      } else if ((m = EVAL.matcher(s)).find()) {
        long step = Long.parseLong(m.group(1));
        long ts = at(step);
        out.scalar(ctx, step, ts, "train_loss_eval", TrainingRecords.number(m.group(2)), source);
        out.scalar(ctx, step, ts, "val_loss", TrainingRecords.number(m.group(3)), source);
      } else if ((m = LLMC_STEP.matcher(s)).find()) {
        llmcStep(Long.parseLong(m.group(1)), m.group(3), source, out);
      } else if ((m = LLMC_VAL.matcher(s)).find()) {
        long step = Math.max(lastStep, 0);
        out.scalar(ctx, step, at(step), "val_loss", TrainingRecords.number(m.group(1)), source);
      } else if ((m = KEY_VALUE_LINE.matcher(s)).find()) {
        keyValues(Long.parseLong(m.group(1)), m.group(3) == null ? "" : m.group(3), source, out);
      } else {
        out.skip("not a nanoGPT / llm.c step or validation line");
      }
    } catch (RuntimeException e) {
      out.problem(where, "malformed nanoGPT / llm.c line: " + e.getMessage(), line);
    }
  }

  private void keyValues(long step, String rest, String source, TrainingRecords out) {
    Map<String, Double> values = new LinkedHashMap<>();
    Matcher p = PAIR.matcher(rest);
    while (p.find()) {
      Matcher v = VALUE_UNIT.matcher(p.group(2));
      if (!v.matches()) {
        throw new IllegalArgumentException("'" + p.group(1) + "' has no number: " + p.group(2));
      }
      double d = TrainingRecords.number(v.group(1));
      String unit = v.group(2) == null ? "" : v.group(2).toLowerCase(Locale.ROOT);
      values.put(p.group(1), unit.equals("s") ? d * 1000 : d);
    }
    Double trainTime = values.remove("train_time");
    values.remove("step_avg"); // a running average of train_time: nothing of its own
    boolean validation =
        values.containsKey("val_loss") || values.containsKey("tel") || values.containsKey("eval");
    long ts =
        validation
            ? (trainTime != null ? ctx.time().stamp(null, Math.round(trainTime)) : at(step))
            : advance(step, trainTime == null ? null : Math.round(trainTime), null);
    if (!validation) {
      Double loss = first(values, "train_loss", "trl", "loss");
      Double lr = first(values, "lr", "learning_rate");
      Double grad = first(values, "norm", "grad_norm");
      out.step(step(step, ts, loss, lr, grad, null, null, source));
    }
    values.forEach(
        (k, v) -> out.scalar(ctx, step, ts, k.equals("tel") ? "val_loss" : k, v, source));
  }

  private void llmcStep(long step, String fields, String source, TrainingRecords out) {
    Double loss = null;
    Double grad = null;
    Double lr = null;
    Double ms = null;
    Double tps = null;
    for (String part : fields.split("\\|")) {
      Matcher f = LLMC_FIELD.matcher(part);
      if (!f.find()) {
        continue; // the MFU column and anything else
      }
      if (f.group(1) != null) {
        double v = TrainingRecords.number(f.group(2));
        switch (f.group(1)) {
          case "loss" -> loss = v;
          case "norm" -> grad = v;
          default -> lr = v;
        }
      } else if (f.group(3) != null) {
        ms = TrainingRecords.number(f.group(3));
      } else {
        tps = TrainingRecords.number(f.group(4));
      }
    }
    long ts = advance(step, null, ms);
    out.step(step(step, ts, loss, lr, grad, ms, tps, source));
  }

  /** The time of a new step: elapsed from train_time, or the step times summed. */
  private long advance(long step, Long trainTimeMs, Double stepMs) {
    if (trainTimeMs != null) {
      elapsedMs = trainTimeMs;
    } else if (stepMs != null && Double.isFinite(stepMs)) {
      elapsedMs += Math.round(stepMs * Math.max(1, step - Math.max(lastStep, 0)));
    }
    long ts = ctx.time().stamp(null, trainTimeMs != null || stepMs != null ? elapsedMs : null);
    lastStep = step;
    lastTs = ts;
    return ts;
  }

  /** The time of a value that belongs to a step already logged (or about to be). */
  private long at(long step) {
    return lastTs != null ? lastTs : ctx.time().stamp(null, elapsedMs == 0 ? null : elapsedMs);
  }

  private TrainingStep step(
      long step, long ts, Double loss, Double lr, Double grad, Double ms, Double tps, String src) {
    return TrainingRecords.stepOf(ctx, step, ts)
        .setLoss(loss)
        .setLearningRate(lr)
        .setGradNorm(grad)
        .setStepTimeMs(ms)
        .setTokensPerSec(tps)
        .setSource(src)
        .build();
  }

  private static Double first(Map<String, Double> values, String... keys) {
    for (String k : keys) {
      Double v = values.remove(k);
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
