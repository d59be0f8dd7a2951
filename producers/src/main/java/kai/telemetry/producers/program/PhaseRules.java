package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Scoring rules of one evaluation phase; {@code closed_at} (ISO-8601) once the phase is closed.
 * {@code categories}, when given, are the phase's categories and the fixed point fields are not
 * used; without them the phase has the five categories of the fixed fields.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PhaseRules(
    @JsonProperty("phase") int phase,
    @JsonProperty("benchmark_points_nia") double niaPoints,
    @JsonProperty("benchmark_points_global_common") double globalCommonPoints,
    @JsonProperty("benchmark_points_global_individual") double globalIndividualPoints,
    @JsonProperty("expert_points") double expertPoints,
    @JsonProperty("user_points") double userPoints,
    @JsonProperty("pass_threshold") double passThreshold,
    @JsonProperty("teams_advancing") Integer teamsAdvancing,
    @JsonProperty("frontier_target_ratio") Double frontierTargetRatio,
    @JsonProperty("closed_at") String closedAt,
    @JsonProperty("categories") List<Category> categories) {

  public PhaseRules {
    categories = categories == null ? List.of() : List.copyOf(categories);
  }

  /**
   * One scored category: {@code source} catalogue, team_benchmarks or evaluation; {@code scoring}
   * absolute (default) or relative; {@code benchmarks} for a catalogue category (default: the
   * catalogue's benchmarks of this category).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Category(
      @JsonProperty("id") String id,
      @JsonProperty("points") double points,
      @JsonProperty("source") String source,
      @JsonProperty("scoring") String scoring,
      @JsonProperty("benchmarks") List<String> benchmarks) {
    public Category {
      scoring = scoring == null ? "absolute" : scoring;
      benchmarks = benchmarks == null ? List.of() : List.copyOf(benchmarks);
    }
  }
}
