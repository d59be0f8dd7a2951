package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** A program team as the program file lists it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Team(
    @JsonProperty("id") String id,
    @JsonProperty("name_ko") String nameKo,
    @JsonProperty("name_en") String nameEn,
    @JsonProperty("gpu_allocation") int gpuAllocation,
    @JsonProperty("gpu_type") String gpuType,
    @JsonProperty("status") String status,
    @JsonProperty("eliminated_in_phase") Integer eliminatedInPhase,
    @JsonProperty("target_model") String targetModel,
    @JsonProperty("joined_phase") Integer joinedPhase,
    @JsonProperty("elimination") String elimination,
    @JsonProperty("elimination_reason") String eliminationReason,
    @JsonProperty("individual_benchmarks") List<OwnBenchmark> individualBenchmarks) {

  /**
   * One of the team's own benchmarks (global individual) and its target model's score on it, on the
   * catalogue's scale (absent: the catalogue's frontier reference).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OwnBenchmark(
      @JsonProperty("benchmark") String benchmark,
      @JsonProperty("target_score") Double targetScore) {}

  public Team {
    individualBenchmarks =
        individualBenchmarks == null ? List.of() : List.copyOf(individualBenchmarks);
    gpuType = gpuType == null ? "H100" : gpuType;
    status = status == null ? "active" : status;
    joinedPhase = joinedPhase == null ? 1 : joinedPhase;
  }
}
