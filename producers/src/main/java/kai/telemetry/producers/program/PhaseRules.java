package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Scoring rules of one evaluation phase; {@code closed_at} (ISO-8601) once the phase is closed. */
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
    @JsonProperty("closed_at") String closedAt) {}
