package kai.telemetry.producers.collect.traininglog;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training logs that are whole files rather than lines: the Hugging Face Trainer's {@code
 * trainer_state.json}, Megatron's golden values and TensorBoard event files. Each is read whole,
 * into the same steps and scalars as the line formats.
 */
public final class TrainingFiles {
  /** The file formats, as {@code log.format} names them. */
  public static final List<String> FORMATS =
      List.of("hf-trainer-state", "megatron-golden", "tensorboard");

  /**
   * Largest JSON file read (it is parsed whole: a trainer state of 400,000 log entries fits, in the
   * default 1 GB heap).
   */
  static final long MAX_JSON_BYTES = 64L << 20;

  private TrainingFiles() {}

  /** True for the formats that need the start time (their files hold no wall-clock time). */
  public static boolean needsStartTime(String format) {
    return !format.equals("tensorboard");
  }

  /** Reads {@code file} (for TensorBoard, a file or a directory of event files). */
  public static void read(
      String format, Path file, StepLineParser.Context ctx, String lossTag, TrainingRecords out)
      throws IOException {
    switch (format) {
      case "hf-trainer-state" -> trainerState(json(file), file.getFileName().toString(), ctx, out);
      case "megatron-golden" -> golden(json(file), file.getFileName().toString(), ctx, out);
      case "tensorboard" -> {
        TensorBoardEvents tb = new TensorBoardEvents(ctx, lossTag);
        Path root = Files.isDirectory(file) ? file : file.getParent();
        for (Path f : eventFiles(file)) {
          Path dir = root == null ? null : root.relativize(f).getParent();
          String prefix = dir == null ? "" : dir.toString().replace('\\', '/') + "/";
          try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            tb.read(in, root == null ? f.toString() : root.relativize(f).toString(), prefix, out);
          }
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unknown file format '" + format + "': use one of " + String.join(", ", FORMATS));
    }
  }

  /**
   * The event files of a run: the file itself, or the tfevents files in a directory and its
   * subdirectories, in path order.
   */
  static List<Path> eventFiles(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return List.of(p);
    }
    try (Stream<Path> files = Files.walk(p, 8)) {
      // Sorted by folder, then name (which starts with the writer's start time).
      List<Path> events =
          files
              .filter(f -> f.getFileName().toString().contains("tfevents"))
              .filter(Files::isRegularFile)
              .sorted()
              .toList();
      if (events.isEmpty()) {
        throw new IllegalArgumentException(p + " holds no TensorBoard event file (*tfevents*)");
      }
      return events;
    }
  }

  private static JsonNode json(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_JSON_BYTES) {
      throw new IllegalArgumentException(
          file
              + " is "
              + size
              + " bytes, beyond the "
              + MAX_JSON_BYTES
              + "-byte cap of a whole-JSON format: write its entries as JSON lines (for a"
              + " Trainer state: jq -c '.log_history[]') and import them with log.format=jsonl");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return JsonlSteps.JSON.readTree(in);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(
          file + " is not JSON: " + JsonlSteps.firstLine(e.getOriginalMessage()));
    }
  }

  /**
   * {@code trainer_state.json}: each {@code log_history} entry at its {@code step}: training
   * entries (with {@code loss}) are steps, {@code eval_*} and {@code predict_*} entries and the
   * final summary (with {@code train_runtime}) are scalars. The file holds no times: the entries
   * are stamped from the start time, spread over {@code train_runtime} by step when the summary has
   * it.
   */
  static void trainerState(
      JsonNode root, String name, StepLineParser.Context ctx, TrainingRecords out) {
    JsonNode history = root == null ? null : root.get("log_history");
    if (history == null || !history.isArray()) {
      out.problem(name, "no \"log_history\" array: not a Trainer state file", "");
      return;
    }
    long lastStep = root.path("global_step").asLong(0);
    Double runtime = null;
    for (JsonNode e : history) {
      if (e.has("train_runtime") && e.get("train_runtime").isNumber()) {
        runtime = e.get("train_runtime").asDouble();
        lastStep = Math.max(lastStep, e.path("step").asLong(0));
      }
    }
    int i = 0;
    for (JsonNode e : history) {
      i++;
      String where = name + " log_history[" + (i - 1) + "]";
      JsonNode step = e.get("step");
      if (step == null || !step.canConvertToLong() || step.asLong() < 0) {
        out.problem(where, "entry without an integer \"step\"", e.toString());
        continue;
      }
      try {
        long s = step.asLong();
        Long elapsed =
            runtime == null || lastStep <= 0 ? null : Math.round(runtime * 1000 * s / lastStep);
        long ts = ctx.time().stamp(null, elapsed);
        JsonlSteps.metrics(ctx, e, s, ts, "hf-trainer-state:" + where, out);
      } catch (IllegalArgumentException ex) {
        out.problem(where, ex.getMessage(), e.toString());
      }
    }
  }

  /**
   * Megatron's golden values: {@code {"lm loss": {"start_step": 1, "end_step": 50, "step_interval":
   * 5, "values": [10.8, ...]}, "num-zeros": {...}, ...}}, the values a list (entries of the
   * TensorBoard series from start_step every step_interval: value i is iteration start + i x
   * interval + 1) or, in newer files, an object from step to value; a "nan" string is how these
   * files say "no value" (padding), so it is passed over, not a diverged step. {@code lm loss}
   * gives the steps; every other metric is a scalar of its name. Stamped with the start time.
   */
  static void golden(JsonNode root, String name, StepLineParser.Context ctx, TrainingRecords out) {
    if (root == null || !root.isObject()) {
      out.problem(name, "not a JSON object of metrics: not a golden-values file", "");
      return;
    }
    int metrics = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      String metric = m.getKey();
      JsonNode spec = m.getValue();
      String where = name + " " + metric;
      JsonNode values = spec.get("values");
      if (!spec.isObject() || values == null || !(values.isArray() || values.isObject())) {
        out.problem(where, "metric without \"values\"", spec.toString());
        continue;
      }
      metrics++;
      long start = spec.path("start_step").asLong(0);
      long interval = Math.max(1, spec.path("step_interval").asLong(1));
      long ts = ctx.time().stamp(null, null);
      String source = "megatron-golden:" + where;
      if (values.isArray()) {
        // The list form slices the TensorBoard series, whose first entry is iteration 1:
        // start_step and the interval count entries, so value i is iteration start + i x interval
        // + 1.
        for (int i = 0; i < values.size(); i++) {
          goldenValue(ctx, metric, start + i * interval + 1, values.get(i), ts, source, where, out);
        }
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> v = values.fields(); v.hasNext(); ) {
          Map.Entry<String, JsonNode> e = v.next();
          long step;
          try {
            step = Long.parseLong(e.getKey().strip());
          } catch (NumberFormatException ex) {
            out.problem(where, "step '" + e.getKey() + "' is not an integer", e.toString());
            continue;
          }
          goldenValue(ctx, metric, step, e.getValue(), ts, source, where, out);
        }
      }
    }
    if (metrics == 0) {
      out.problem(name, "no metric with \"values\": not a golden-values file", "");
    }
  }

  private static void goldenValue(
      StepLineParser.Context ctx,
      String metric,
      long step,
      JsonNode value,
      long ts,
      String source,
      String where,
      TrainingRecords out) {
    if (value.isTextual() && value.asText().strip().equalsIgnoreCase("nan")) {
      out.skip("golden value \"nan\" (no value at that step)");
      return;
    }
    Double v = JsonlSteps.numeric(value);
    if (v == null) {
      out.problem(where, "value at step " + step + " is not a number", value.toString());
      return;
    }
    if (metric.equals("lm loss")) {
      out.step(TrainingRecords.stepOf(ctx, step, ts).setLoss(v).setSource(source).build());
    } else {
      out.scalar(ctx, step, ts, metric, v, source);
    }
  }
}
