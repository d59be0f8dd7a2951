package kai.telemetry.producers.collect.traininglog;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Megatron-LM's and Megatron-DeepSpeed's training log. An iteration record is fields separated by "
 * | " and ends with "|", e.g. {@code [2025-01-15 10:23:45] iteration 100/ 500000 | consumed
 * samples: 51200 | elapsed time per iteration (ms): 1234.5 | learning rate: 1.500000E-04 | global
 * batch size: 512 | lm loss: 2.345678E+00 | loss scale: 1.0 | grad norm: 0.456 | ... |}; a
 * validation record is {@code validation loss at iteration 1000 | lm loss value: 2.31E+00 | lm loss
 * PPL: 1.0E+01 |}. Read:
 *
 * <ul>
 *   <li>launcher prefixes ({@code [default7]:}, {@code 7: }) are removed;
 *   <li>a record wrapped over several lines (no closing "|" yet) is joined with the lines after it,
 *       up to {@value #MAX_WRAPPED_LINES}; one that a new record interrupts, or that ends without
 *       its loss, is a problem, never a step with no loss;
 *   <li>elapsed time per iteration in {@code (ms)} or {@code (s)}; numbers in any notation;
 *   <li>tokens are the "consumed tokens" field, else consumed samples x sequence length ({@code
 *       log.seq.len}, else the record's "actual seqlen");
 *   <li>other losses of the record (MoE load balancing, MTP) and the throughput fields become named
 *       scalars, as do the validation record's values ({@code val/lm loss}, {@code test/lm loss
 *       PPL}), at the iteration it names or the last one seen;
 *   <li>the timestamp prefix printed by recent versions is the node's local time, without a zone:
 *       read in {@code log.timezone} (UTC by default); without one, {@link LogTime} decides, with
 *       the per-iteration times summed as the elapsed time;
 *   <li>Megatron-DeepSpeed's pipeline engine names the loss {@code loss}: taken when there is no
 *       {@code lm loss}; a named validation set ({@code validation-wiki loss at ...}) gives {@code
 *       val-wiki/<name>}.
 * </ul>
 */
final class MegatronSteps implements StepLineParser {
  static final int MAX_WRAPPED_LINES = 8;
  private static final Pattern ITERATION =
      Pattern.compile("\\biteration\\s+(\\d+)\\s*/\\s*(\\d+)\\s*\\|");
  private static final Pattern VALIDATION =
      Pattern.compile(
          "\\bvalidation(-[^\\s|]{1,64})? loss at (?:iteration\\s+(\\d+)|the end of training)");
  private static final Pattern STAMP =
      Pattern.compile("^\\s*\\[(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})(\\.\\d{1,9})?\\]");
  private static final Pattern FIELD = Pattern.compile("^\\s*([^:|]{1,80}?)\\s*:\\s*(\\S+)\\s*$");
  private static final Pattern ELAPSED_UNIT =
      Pattern.compile("elapsed time per iteration \\((ms|s)\\)");
  private static final DateTimeFormatter STAMP_FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final Context ctx;
  private final java.time.ZoneId zone;
  private StringBuilder pending;
  private String pendingWhere;
  private int pendingLines;
  private long lastStep;
  private Long lastTs;
  private long elapsedMs;

  MegatronSteps(Context ctx) {
    this.ctx = ctx;
    this.zone = ctx.time().zone();
  }

  @Override
  public void parse(String line, String where, TrainingRecords out) {
    String s = StepLineParser.stripLauncherPrefix(line).stripTrailing();
    boolean starts = ITERATION.matcher(s).find() || VALIDATION.matcher(s).find();
    if (pending != null) {
      if (!starts && s.contains("|")) {
        pending.append(' ').append(s.strip());
        pendingLines++;
        if (closed(pending)) {
          complete(out);
        } else if (pendingLines >= MAX_WRAPPED_LINES) {
          out.problem(
              pendingWhere,
              "Megatron record not closed within " + MAX_WRAPPED_LINES + " lines",
              pending.toString());
          pending = null;
        }
        return;
      }
      interrupted(out);
    }
    if (!starts) {
      if (s.contains(" iteration ") && s.contains("|")) {
        out.problem(where, "iteration line without 'iteration <n>/<total> |'", line);
      } else {
        out.skip("not a Megatron iteration or validation line");
      }
      return;
    }
    pending = new StringBuilder(s);
    pendingWhere = where;
    pendingLines = 1;
    if (closed(pending)) {
      complete(out);
    }
  }

  /**
   * Whether a record is whole: it ends with "|" and, for an iteration, has reached the field every
   * Megatron version prints last but for throughput ("number of nan iterations"). A record of a
   * version without it is taken when the next line shows it is over.
   */
  private static boolean closed(CharSequence record) {
    String r = record.toString();
    return r.endsWith("|")
        && (r.contains("number of nan iterations") || VALIDATION.matcher(r).find());
  }

  @Override
  public boolean pending() {
    return pending != null;
  }

  @Override
  public void finish(TrainingRecords out) {
    if (pending != null) {
      interrupted(out);
    }
  }

  /** A record that did not end with "|": read if it has its loss, else a problem. */
  private void interrupted(TrainingRecords out) {
    String record = pending.toString();
    if (record.matches("(?s).*(\\blm loss|\\| loss|loss value)\\s*:.*")) {
      complete(out);
    } else {
      out.problem(
          pendingWhere,
          "Megatron record cut off: it ends without '|' and without its loss (wrapped or"
              + " truncated line?)",
          record);
      pending = null;
    }
  }

  private void complete(TrainingRecords out) {
    String record = pending.toString();
    String where = pendingWhere;
    pending = null;
    try {
      if (VALIDATION.matcher(record).find()) {
        validation(record, where, out);
      } else {
        iteration(record, where, out);
      }
    } catch (RuntimeException e) {
      out.problem(where, "malformed Megatron record: " + e.getMessage(), record);
    }
  }

  private void iteration(String record, String where, TrainingRecords out) {
    Matcher it = ITERATION.matcher(record);
    it.find();
    long step = Long.parseLong(it.group(1));
    Double elapsed = null;
    Long batch = null;
    Long tokens = null;
    Long samples = null;
    Integer seq = ctx.seqLen();
    Double lr = null;
    Double loss = null;
    Double grad = null;
    Double plainLoss = null; // Megatron-DeepSpeed's pipeline engine names the loss "loss"
    java.util.Map<String, Double> scalars = new java.util.LinkedHashMap<>();
    for (String part : record.substring(it.end()).split("\\|")) {
      Matcher f = FIELD.matcher(part);
      if (!f.find()) {
        continue;
      }
      String key = f.group(1).strip();
      String value = f.group(2);
      Matcher unit = ELAPSED_UNIT.matcher(key);
      if (unit.matches()) {
        double v = TrainingRecords.number(value);
        elapsed = unit.group(1).equals("s") ? v * 1000 : v;
        continue;
      }
      switch (key.toLowerCase(Locale.ROOT)) {
        case "consumed samples" ->
            samples = TrainingRecords.whole(key, TrainingRecords.number(value));
        case "consumed tokens" ->
            tokens = TrainingRecords.whole(key, TrainingRecords.number(value));
        case "global batch size" ->
            batch = TrainingRecords.whole(key, TrainingRecords.number(value));
        case "actual seqlen" -> {
          if (seq == null) {
            seq = (int) TrainingRecords.whole(key, TrainingRecords.number(value));
          }
        }
        case "learning rate" -> lr = TrainingRecords.number(value);
        case "lm loss" -> loss = TrainingRecords.number(value);
        case "loss" -> plainLoss = TrainingRecords.number(value);
        case "grad norm" -> grad = TrainingRecords.number(value);
        case "loss scale", "number of skipped iterations", "number of nan iterations" -> {}
        default -> {
          String lower = key.toLowerCase(Locale.ROOT);
          if (lower.contains("loss") || lower.contains("tflop") || lower.contains("per second")) {
            scalars.put(key, TrainingRecords.number(value));
          }
        }
      }
    }
    if (loss == null) {
      loss = plainLoss;
    }
    if (tokens == null && samples != null && seq != null) {
      tokens = samples * seq;
    }
    Double tps = null;
    if (elapsed != null && elapsed > 0 && batch != null && seq != null) {
      tps = batch * (double) seq / (elapsed / 1000.0);
    }
    if (elapsed != null && Double.isFinite(elapsed)) {
      elapsedMs += Math.round(elapsed * Math.max(1, step - lastStep));
    }
    long ts = ctx.time().stamp(stamp(record), elapsedMs);
    lastStep = step;
    lastTs = ts;
    String source = "megatron:" + where;
    // The loss is null when absent: Megatron omits it on iterations it skipped (nan/inf grads).
    out.step(
        TrainingRecords.stepOf(ctx, step, ts)
            .setTokens(tokens)
            .setLoss(loss)
            .setLearningRate(lr)
            .setGradNorm(grad)
            .setTokensPerSec(tps)
            .setStepTimeMs(elapsed)
            .setSource(source)
            .build());
    scalars.forEach((k, v) -> out.scalar(ctx, step, ts, k, v, source));
  }

  private void validation(String record, String where, TrainingRecords out) {
    Matcher v = VALIDATION.matcher(record);
    v.find();
    long step = v.group(2) != null ? Long.parseLong(v.group(2)) : lastStep;
    // A named validation set (--multiple-validation-sets) prints "validation-<name> loss at".
    String set =
        (record.contains("test") ? "test" : "val") + (v.group(1) == null ? "" : v.group(1));
    Long own = stamp(record);
    long ts = own != null ? own : lastTs != null ? lastTs : ctx.time().stamp(null, elapsedMs);
    int n = 0;
    for (String part : record.substring(v.end()).split("\\|")) {
      Matcher f = FIELD.matcher(part);
      if (!f.find()) {
        continue;
      }
      String key = f.group(1).strip().replaceFirst("\\s+value$", "");
      out.scalar(
          ctx, step, ts, set + "/" + key, TrainingRecords.number(f.group(2)), "megatron:" + where);
      n++;
    }
    if (n == 0) {
      out.problem(where, "validation record without values", record);
    }
  }

  private Long stamp(String record) {
    Matcher stamp = STAMP.matcher(record);
    if (!stamp.find()) {
      return null;
    }
    long ms =
        LocalDateTime.parse(stamp.group(1), STAMP_FORMAT).atZone(zone).toInstant().toEpochMilli();
    if (stamp.group(2) != null) {
      String frac = (stamp.group(2).substring(1) + "000").substring(0, 3);
      ms += Integer.parseInt(frac);
    }
    return ms;
  }
}
