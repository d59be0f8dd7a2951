package kai.telemetry.producers.collect.traininglog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Hugging Face Trainer prints to its console: a Python dict per log call, e.g. {@code
 * {'loss': 2.345, 'grad_norm': 1.21, 'learning_rate': 4.9e-05, 'epoch': 0.01}}, often after a
 * progress bar on the same line; evaluations as {@code {'eval_loss': 2.1, 'eval_runtime': 12.3,
 * ...}}; and a final summary {@code {'train_runtime': ..., 'train_loss': 2.0, ...}}, whose loss is
 * the run's average (a scalar, never the last step's loss). The console prints no step number: the
 * n-th training dict is step n x {@code log.hf.logging.steps} (the Trainer's {@code logging_steps},
 * 500 by default), and eval and summary values belong to the last step logged. The Trainer's {@code
 * trainer_state.json} has the exact steps: import it where it exists ({@code hf-trainer-state});
 * the count is wrong with {@code logging_first_step}, {@code logging_strategy="epoch"}, a
 * fractional {@code logging_steps} or a resumed run. Values printed as {@code tensor(x, ...)} or
 * {@code np.float64(x)} are read as x.
 */
final class HfTrainerStdout implements StepLineParser {
  private static final Pattern DICT = Pattern.compile("\\{\\s*'[^{}]*\\}");
  private static final Pattern PAIR =
      Pattern.compile(
          "'([^']{1,128})'\\s*:\\s*(?:(?:tensor|np\\.float\\d+|np\\.int\\d+|float)\\(\\s*([^,)\\s]+)[^)]*\\)|([^,}]+))");

  private final Context ctx;
  private long trainLogs;

  HfTrainerStdout(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public void parse(String line, String where, TrainingRecords out) {
    Matcher d = DICT.matcher(line);
    String dict = null;
    while (d.find()) {
      dict = d.group(); // the last dict of the line: progress bars come first
    }
    if (dict == null) {
      out.skip("no Trainer log dict on the line");
      return;
    }
    ObjectNode n = JsonlSteps.JSON.createObjectNode();
    Matcher p = PAIR.matcher(dict);
    while (p.find()) {
      String value = (p.group(2) != null ? p.group(2) : p.group(3)).strip();
      try {
        n.put(p.group(1), TrainingRecords.number(value));
      } catch (NumberFormatException e) {
        // a string or a nested value: not a metric
      }
    }
    if (n.isEmpty()) {
      out.skip("a dict without numbers");
      return;
    }
    try {
      if (n.has("loss") && !n.has("train_runtime")) {
        trainLogs++;
      }
      long step = trainLogs * ctx.hfLoggingSteps();
      long ts = ctx.time().stamp(null, null);
      JsonlSteps.metrics(ctx, n, step, ts, "hf-trainer:" + where, out);
    } catch (IllegalArgumentException e) {
      out.problem(where, e.getMessage(), line);
    }
  }
}
