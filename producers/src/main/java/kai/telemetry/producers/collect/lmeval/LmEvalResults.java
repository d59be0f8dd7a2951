package kai.telemetry.producers.collect.lmeval;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.producers.collect.Parsed;
import kai.telemetry.producers.program.Benchmark;
import kai.telemetry.producers.program.ProgramFile;

/**
 * Reads an EleutherAI lm-evaluation-harness results file ({@code results_*.json}, both the current
 * format and the older one) and maps the tasks the program's benchmark catalogue knows onto {@link
 * BenchmarkResult}s.
 *
 * <ul>
 *   <li>Tasks: a benchmark's own task or group name, or a subtask matching one of its {@code *}
 *       entries ({@code kobest_*}). When the file has the benchmark's group score, its subtasks are
 *       counted in it and not imported apart; when it has only subtasks, the benchmark's score is
 *       their unweighted mean (task {@code kobest_*}). Tasks outside the catalogue are listed.
 *   <li>Metric: the catalogue's key ({@code acc,none}); or the same metric under whichever filter
 *       the task used ({@code exact_match,get-answer}: the catalogue's filter first, then {@code
 *       none}, {@code strict-match}, {@code flexible-extract}, then by name); or the older format's
 *       bare name ({@code acc}). The key used is recorded. Its standard error ("N/A" is none).
 *   <li>Shots from {@code n-shot}, or the older {@code config.num_fewshot}; the time from {@code
 *       date}, else from {@code lmeval.date}: a file without either imports nothing, saying so.
 *   <li>The model from {@code model_name}, or {@code model_args}' {@code pretrained=}.
 * </ul>
 */
public final class LmEvalResults {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  /** Filters preferred when the catalogue's own is not in the file. */
  private static final List<String> FILTERS =
      List.of("none", "strict-match", "flexible-extract", "get-answer", "remove_whitespace");

  /** Who the results are for and how much to trust them. */
  public record Context(
      String team, String checkpoint, Evaluator evaluator, String modelOverride) {}

  /**
   * Results, problems, the tasks the catalogue does not know, and the subtasks counted in their
   * benchmark's group score.
   */
  public record Imported(
      Parsed<BenchmarkResult> parsed, List<String> skippedTasks, List<String> countedInGroup) {
    public Imported(Parsed<BenchmarkResult> parsed, List<String> skippedTasks) {
      this(parsed, skippedTasks, List.of());
    }
  }

  /** One metric value found in a task's entry. */
  record Metric(String key, double value, Double stderr) {}

  private LmEvalResults() {}

  /**
   * @param dateMs the evaluation time when the file has no {@code date} (the {@code lmeval.date}
   *     setting), or null
   */
  public static Imported read(
      String json, String source, ProgramFile program, Context ctx, Long dateMs) {
    Parsed<BenchmarkResult> out = new Parsed<>();
    List<String> skipped = new ArrayList<>();
    List<String> counted = new ArrayList<>();
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (Exception e) {
      out.problem(
          source,
          "not JSON: " + e.getMessage().split("\n")[0],
          json.length() > 200 ? json.substring(0, 200) : json);
      return new Imported(out, skipped, counted);
    }
    JsonNode results = root.path("results");
    if (!results.isObject() || results.isEmpty()) {
      out.problem(source, "no \"results\" object: not an lm-evaluation-harness results file", "");
      return new Imported(out, skipped, counted);
    }
    Long ts =
        root.path("date").isNumber()
            ? Long.valueOf(Math.round(root.path("date").asDouble() * 1000))
            : dateMs;
    if (ts == null) {
      out.problem(
          source,
          "the file has no \"date\" (older harness versions write none): give lmeval.date="
              + "YYYY-MM-DD, the day the evaluation ran; the file's time is not used",
          "");
      return new Imported(out, skipped, counted);
    }
    String model = ctx.modelOverride() != null ? ctx.modelOverride() : model(root);
    String harness = root.path("lm_eval_version").asText(root.path("git_hash").asText(""));

    // Groups (e.g. kmmlu over its 45 subjects) appear under "groups" in some versions.
    Map<String, JsonNode> entries = new java.util.LinkedHashMap<>();
    results.fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue()));
    root.path("groups")
        .fields()
        .forEachRemaining(e -> entries.putIfAbsent(e.getKey(), e.getValue()));
    // The benchmarks whose own task or group is in the file: their subtasks are counted in it.
    Set<String> whole = new LinkedHashSet<>();
    Map<String, List<String>> subtasks = new java.util.LinkedHashMap<>();
    Map<String, ProgramFile.LmEvalMatch> matches = new java.util.LinkedHashMap<>();
    for (String task : entries.keySet()) {
      Optional<ProgramFile.LmEvalMatch> m = program.lmEvalMatch(task);
      if (m.isEmpty()) {
        skipped.add(task);
        continue;
      }
      matches.put(task, m.get());
      if (m.get().subtask()) {
        subtasks.computeIfAbsent(m.get().benchmark().id(), k -> new ArrayList<>()).add(task);
      } else {
        whole.add(m.get().benchmark().id());
      }
    }
    Set<String> aggregated = new LinkedHashSet<>();
    for (Map.Entry<String, ProgramFile.LmEvalMatch> e : matches.entrySet()) {
      String task = e.getKey();
      Benchmark b = e.getValue().benchmark();
      String where = source + " results." + task;
      if (e.getValue().subtask()) {
        // Each subtask's own score lands beside the benchmark's (marked, counted by no KPI).
        metric(entries.get(task), b.metric())
            .ifPresent(
                m -> {
                  BenchmarkResult own =
                      result(
                          ctx, model, b, new Row(task, m, shots(root, task)), ts, source, harness);
                  own.setSubtask(true);
                  out.add(own);
                });
        if (whole.contains(b.id())) {
          counted.add(task);
          continue;
        }
        if (!aggregated.add(b.id())) {
          continue;
        }
        aggregate(b, e.getValue().entry(), subtasks.get(b.id()), entries, root, source)
            .ifPresentOrElse(
                r -> out.add(result(ctx, model, b, r, ts, source, harness)),
                () ->
                    out.problem(
                        source + " results." + e.getValue().entry(),
                        "no subtask of "
                            + b.id()
                            + " has a numeric \""
                            + b.metric()
                            + "\" under any filter",
                        String.join(",", subtasks.get(b.id()))));
        continue;
      }
      JsonNode entry = entries.get(task);
      Optional<Metric> metric = metric(entry, b.metric());
      if (metric.isEmpty()) {
        out.problem(
            where,
            "has no numeric \""
                + b.metric()
                + "\" under any filter (the metric the catalogue counts for "
                + b.id()
                + "); it has "
                + metricsOf(entry),
            entry.toString());
        continue;
      }
      out.add(
          result(
              ctx, model, b, new Row(task, metric.get(), shots(root, task)), ts, source, harness));
    }
    return new Imported(out, skipped, counted);
  }

  /** What one result row says. */
  private record Row(String task, Metric metric, Integer shots) {}

  private static BenchmarkResult result(
      Context ctx, String model, Benchmark b, Row r, long ts, String source, String harness) {
    return BenchmarkResult.newBuilder()
        .setTeam(ctx.team())
        .setModel(model)
        .setCheckpoint(ctx.checkpoint())
        .setBenchmark(b.id())
        .setTask(r.task())
        .setMetric(r.metric().key())
        .setScore(r.metric().value())
        .setScaleMax(b.scaleMax())
        .setStderr(r.metric().stderr())
        .setNShot(r.shots())
        .setEvaluator(ctx.evaluator())
        .setSource(source + (harness.isEmpty() ? "" : " (lm-eval " + harness + ")"))
        .setTsMs(ts)
        .build();
  }

  /** The unweighted mean of the subtasks' metric, under the pattern's name; shots if all agree. */
  private static Optional<Row> aggregate(
      Benchmark b,
      String pattern,
      List<String> tasks,
      Map<String, JsonNode> entries,
      JsonNode root,
      String source) {
    double sum = 0;
    int n = 0;
    String key = null;
    Set<Integer> shots = new LinkedHashSet<>();
    for (String t : tasks) {
      Optional<Metric> m = metric(entries.get(t), b.metric());
      if (m.isPresent()) {
        sum += m.get().value();
        n++;
        key = m.get().key();
        shots.add(shots(root, t));
      }
    }
    if (n == 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Row(
            pattern,
            new Metric(key, sum / n, null),
            shots.size() == 1 ? shots.iterator().next() : null));
  }

  /**
   * The catalogue's metric in a task's entry: its exact key; else the same metric under another
   * filter (the catalogue's filter, then {@link #FILTERS}, then by name); else the older format's
   * bare name.
   */
  static Optional<Metric> metric(JsonNode entry, String wanted) {
    if (entry == null || !entry.isObject()) {
      return Optional.empty();
    }
    int comma = wanted.indexOf(',');
    String name = comma < 0 ? wanted : wanted.substring(0, comma);
    List<String> candidates = new ArrayList<>();
    if (entry.path(wanted).isNumber()) {
      candidates.add(wanted);
    }
    List<String> filtered = new ArrayList<>();
    entry
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (k.startsWith(name + ",") && entry.get(k).isNumber()) {
                filtered.add(k);
              }
            });
    filtered.sort(
        java.util.Comparator.comparingInt(
                (String k) -> {
                  int at = FILTERS.indexOf(k.substring(name.length() + 1));
                  return at < 0 ? FILTERS.size() : at;
                })
            .thenComparing(k -> k));
    candidates.addAll(filtered);
    if (entry.path(name).isNumber()) {
      candidates.add(name); // the older format: "acc", "acc_stderr"
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    String key = candidates.get(0);
    int c = key.indexOf(',');
    String stderrKey = c < 0 ? key + "_stderr" : key.substring(0, c) + "_stderr" + key.substring(c);
    JsonNode stderr = entry.get(stderrKey);
    return Optional.of(
        new Metric(
            key,
            entry.get(key).asDouble(),
            stderr != null && stderr.isNumber() ? stderr.asDouble() : null));
  }

  private static List<String> metricsOf(JsonNode entry) {
    List<String> metrics = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getValue().isNumber() && !f.getKey().contains("_stderr")) {
        metrics.add(f.getKey());
      }
    }
    return metrics;
  }

  /** Shots: {@code n-shot} of the task, or the older {@code config.num_fewshot}. */
  private static Integer shots(JsonNode root, String task) {
    JsonNode shots = root.path("n-shot").get(task);
    if (shots != null && shots.canConvertToInt()) {
      return shots.asInt();
    }
    JsonNode old = root.path("config").path("num_fewshot");
    return old.canConvertToInt() && !old.isNull() && !old.isMissingNode() ? old.asInt() : null;
  }

  private static String model(JsonNode root) {
    String name = root.path("model_name").asText("");
    if (!name.isBlank()) {
      return name;
    }
    String args = root.path("config").path("model_args").asText("");
    for (String part : args.split(",")) {
      if (part.startsWith("pretrained=")) {
        return part.substring("pretrained=".length());
      }
    }
    return root.path("config").path("model").asText("unknown");
  }
}
