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
 * Reads an EleutherAI lm-evaluation-harness results file ({@code results_*.json}) and maps the
 * tasks the program's benchmark catalogue knows onto {@link BenchmarkResult}s: the catalogue's
 * metric key ("acc,none", "exact_match,strict-match", ...) gives the score, the matching
 * "<metric>_stderr,<filter>" entry its standard error ("N/A" becomes null), "n-shot" the shots,
 * "date" the time, and "model_name" (or model_args' pretrained=) the model. Tasks not in the
 * catalogue are listed as skipped; a catalogued task without its metric is a problem.
 */
public final class LmEvalResults {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  /** Who the results are for and how much to trust them. */
  public record Context(
      String team, String checkpoint, Evaluator evaluator, String modelOverride) {}

  /** Results, problems, and the tasks the catalogue does not know. */
  public record Imported(Parsed<BenchmarkResult> parsed, List<String> skippedTasks) {}

  private LmEvalResults() {}

  public static Imported read(
      String json, String source, ProgramFile program, Context ctx, long fallbackTsMs) {
    Parsed<BenchmarkResult> out = new Parsed<>();
    List<String> skipped = new ArrayList<>();
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (Exception e) {
      out.problem(
          source,
          "not JSON: " + e.getMessage().split("\n")[0],
          json.length() > 200 ? json.substring(0, 200) : json);
      return new Imported(out, skipped);
    }
    JsonNode results = root.path("results");
    if (!results.isObject() || results.isEmpty()) {
      out.problem(source, "no \"results\" object: not an lm-evaluation-harness results file", "");
      return new Imported(out, skipped);
    }
    String model = ctx.modelOverride() != null ? ctx.modelOverride() : model(root);
    long ts =
        root.path("date").isNumber()
            ? Math.round(root.path("date").asDouble() * 1000)
            : fallbackTsMs;
    String harness = root.path("lm_eval_version").asText(root.path("git_hash").asText(""));

    // Groups (e.g. kmmlu over its 45 subjects) appear under "groups" in some versions.
    Set<String> tasks = new LinkedHashSet<>();
    results.fieldNames().forEachRemaining(tasks::add);
    root.path("groups").fieldNames().forEachRemaining(tasks::add);
    for (String task : tasks) {
      JsonNode entry = results.has(task) ? results.get(task) : root.path("groups").get(task);
      Optional<Benchmark> benchmark = program.benchmarkForLmEvalTask(task);
      if (benchmark.isEmpty()) {
        skipped.add(task);
        continue;
      }
      Benchmark b = benchmark.get();
      String where = source + " results." + task;
      JsonNode score = entry.get(b.metric());
      if (score == null || !score.isNumber()) {
        List<String> metrics = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
          String k = it.next().getKey();
          if (k.contains(",") && !k.contains("_stderr")) {
            metrics.add(k);
          }
        }
        out.problem(
            where,
            "has no numeric \""
                + b.metric()
                + "\" (the metric the catalogue counts for "
                + b.id()
                + "); it has "
                + metrics,
            entry.toString());
        continue;
      }
      int comma = b.metric().indexOf(',');
      String stderrKey =
          comma < 0
              ? b.metric() + "_stderr"
              : b.metric().substring(0, comma) + "_stderr" + b.metric().substring(comma);
      JsonNode stderr = entry.get(stderrKey);
      JsonNode shots = root.path("n-shot").get(task);
      out.add(
          BenchmarkResult.newBuilder()
              .setTeam(ctx.team())
              .setModel(model)
              .setCheckpoint(ctx.checkpoint())
              .setBenchmark(b.id())
              .setTask(task)
              .setMetric(b.metric())
              .setScore(score.asDouble())
              .setScaleMax(b.scaleMax())
              .setStderr(stderr != null && stderr.isNumber() ? stderr.asDouble() : null)
              .setNShot(shots != null && shots.canConvertToInt() ? shots.asInt() : null)
              .setEvaluator(ctx.evaluator())
              .setSource(source + (harness.isEmpty() ? "" : " (lm-eval " + harness + ")"))
              .setTsMs(ts)
              .build());
    }
    return new Imported(out, skipped);
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
