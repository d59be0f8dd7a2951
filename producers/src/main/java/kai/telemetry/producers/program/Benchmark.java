package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A benchmark of the program's catalogue.
 *
 * @param metric the metric that counts, as lm-evaluation-harness keys it ("acc,none",
 *     "exact_match,strict-match", ...)
 * @param scaleMax top of the scale of scores and of the frontier reference (1, 100 or 10)
 * @param lmEvalTasks lm-evaluation-harness task or group names that report this benchmark
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Benchmark(
    @JsonProperty("id") String id,
    @JsonProperty("name") String name,
    @JsonProperty("category") String category,
    @JsonProperty("metric") String metric,
    @JsonProperty("scale_max") double scaleMax,
    @JsonProperty("frontier_model") String frontierModel,
    @JsonProperty("frontier_score") Double frontierScore,
    @JsonProperty("lm_eval_tasks") List<String> lmEvalTasks) {

  public Benchmark {
    lmEvalTasks = lmEvalTasks == null ? List.of() : List.copyOf(lmEvalTasks);
  }
}
