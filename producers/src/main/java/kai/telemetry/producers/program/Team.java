package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A program team as the program file lists it. */
public record Team(
    @JsonProperty("id") String id,
    @JsonProperty("name_ko") String nameKo,
    @JsonProperty("name_en") String nameEn,
    @JsonProperty("gpu_allocation") int gpuAllocation,
    @JsonProperty("status") String status) {}
