package kai.telemetry.producers.program;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The program's state as data: teams, allocations, statuses. Teams change between phases, so they
 * are read from a file, never written into code. The launch state ships as the default.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProgramFile(
    @JsonProperty("program") String program,
    @JsonProperty("state_as_of") String stateAsOf,
    @JsonProperty("teams") List<Team> teams,
    @JsonProperty("benchmarks") List<Benchmark> benchmarks,
    @JsonProperty("evaluation_rules") List<PhaseRules> evaluationRules) {

  public ProgramFile {
    benchmarks = benchmarks == null ? List.of() : List.copyOf(benchmarks);
    evaluationRules = evaluationRules == null ? List.of() : List.copyOf(evaluationRules);
  }

  /** The bundled default: the five teams of the 2025-09 launch. */
  public static final String DEFAULT_RESOURCE = "/program/k-ai-launch-2025-09.json";

  public static ProgramFile launchDefault() {
    try (InputStream in = ProgramFile.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      return parse(in, DEFAULT_RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads {@code location}: a file path, or "default" for the bundled launch state. */
  public static ProgramFile load(String location) {
    if (location == null || location.isBlank() || location.equals("default")) {
      return launchDefault();
    }
    try (InputStream in = Files.newInputStream(Path.of(location))) {
      return parse(in, location);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read program file " + location + ": " + e.getMessage(), e);
    }
  }

  private static ProgramFile parse(InputStream in, String where) throws IOException {
    if (in == null) {
      throw new IOException("not found: " + where);
    }
    ProgramFile file = new ObjectMapper().readValue(in, ProgramFile.class);
    if (file.teams() == null || file.teams().isEmpty()) {
      throw new IllegalArgumentException("program file " + where + " lists no teams");
    }
    for (Team t : file.teams()) {
      if (t.id() == null || !t.id().matches("[a-z0-9][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "program file "
                + where
                + ": team id '"
                + t.id()
                + "' must be lower-case letters, digits and '-'");
      }
    }
    return file;
  }

  /** The catalogue entry an lm-evaluation-harness task reports, if any. */
  public java.util.Optional<Benchmark> benchmarkForLmEvalTask(String task) {
    return benchmarks.stream().filter(b -> b.lmEvalTasks().contains(task)).findFirst();
  }

  public List<Team> activeTeams() {
    return teams.stream().filter(t -> "active".equals(t.status())).toList();
  }
}
