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

  /**
   * Reads {@code location}: a file path, "default" for the bundled launch state, or the name of a
   * bundled program file ({@code launch-2025-09}, {@code after-phase-1-2026-01}).
   */
  public static ProgramFile load(String location) {
    if (location == null || location.isBlank() || location.equals("default")) {
      return launchDefault();
    }
    String bundled = "/program/k-ai-" + location + ".json";
    if (location.matches("[a-z0-9-]+") && ProgramFile.class.getResource(bundled) != null) {
      try (InputStream in = ProgramFile.class.getResourceAsStream(bundled)) {
        return parse(in, bundled);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    try {
      if (Files.size(Path.of(location)) > ProgramOffice.MAX_FILE_BYTES) {
        throw new IllegalArgumentException(
            "program file " + location + " is larger than 16 MB: not a program file");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read program file " + location + ": " + e.getMessage(), e);
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
    List<String> problems = file.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "program file " + where + " is not valid: " + String.join("; ", problems));
    }
    return file;
  }

  /** Everything wrong with this program file, each named; empty when it is valid. */
  public List<String> problems() {
    List<String> why = new java.util.ArrayList<>();
    if (teams == null || teams.isEmpty()) {
      why.add("it lists no teams");
      return why;
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (Team t : teams) {
      String name = "team " + kai.telemetry.schemas.Ids.shown(t.id());
      if (!kai.telemetry.schemas.Ids.isTeam(t.id())) {
        why.add(name + ": an id is lower-case letters, digits and '-', at most 63");
        continue;
      }
      if (!ids.add(t.id())) {
        why.add(name + " is listed twice");
      }
      if (!java.util.Set.of("active", "eliminated", "withdrawn").contains(t.status())) {
        why.add(name + ": status must be active, eliminated or withdrawn");
      }
      if (t.joinedPhase() < 1) {
        why.add(name + ": joined_phase must be 1 or more");
      }
      boolean left = !"active".equals(t.status());
      if (left && t.eliminatedInPhase() == null) {
        why.add(name + ": a team that left needs eliminated_in_phase");
      }
      if (!left && (t.eliminatedInPhase() != null || t.elimination() != null)) {
        why.add(name + ": an active team has no eliminated_in_phase or elimination");
      }
      if (t.eliminatedInPhase() != null && t.eliminatedInPhase() < t.joinedPhase()) {
        why.add(name + ": eliminated before it joined");
      }
      if (t.elimination() != null
          && !java.util.Set.of("below_threshold", "disqualified", "withdrawn", "other")
              .contains(t.elimination().toLowerCase(java.util.Locale.ROOT))) {
        why.add(name + ": elimination must be below_threshold, disqualified, withdrawn or other");
      }
      if (t.gpuAllocation() < 0) {
        why.add(name + ": gpu_allocation is negative");
      }
      java.util.Set<String> own = new java.util.HashSet<>();
      for (Team.OwnBenchmark b : t.individualBenchmarks()) {
        Benchmark known = benchmark(b.benchmark());
        if (known == null) {
          why.add(
              name
                  + ": individual benchmark "
                  + kai.telemetry.schemas.Ids.shown(b.benchmark())
                  + " is not in the catalogue");
        } else if (!own.add(b.benchmark())) {
          why.add(name + ": individual benchmark " + b.benchmark() + " is listed twice");
        } else if (b.targetScore() != null
            && !(b.targetScore() > 0 && b.targetScore() <= known.scaleMax())) {
          why.add(
              name
                  + ": target_score of "
                  + b.benchmark()
                  + " must be above 0 and at most its scale_max "
                  + known.scaleMax());
        } else if (b.targetScore() == null && known.frontierScore() == null) {
          why.add(
              name
                  + ": "
                  + b.benchmark()
                  + " has no frontier reference in the catalogue, so it needs a target_score");
        }
      }
    }
    java.util.Set<Integer> phases = new java.util.HashSet<>();
    for (PhaseRules r : evaluationRules == null ? List.<PhaseRules>of() : evaluationRules) {
      String name = "phase " + r.phase();
      if (r.phase() < 1 || !phases.add(r.phase())) {
        why.add(name + ": phases are numbered from 1, once each");
      }
      double[] points = {
        r.niaPoints(),
        r.globalCommonPoints(),
        r.globalIndividualPoints(),
        r.expertPoints(),
        r.userPoints(),
        r.passThreshold()
      };
      for (double p : points) {
        if (!Double.isFinite(p) || p < 0) {
          why.add(name + ": points and threshold must be finite and not negative");
          break;
        }
      }
      if (r.teamsAdvancing() != null && r.teamsAdvancing() < 1) {
        why.add(name + ": teams_advancing must be 1 or more");
      }
      if (r.frontierTargetRatio() == null) {
        // The target is the program's (95% of the frontier at launch), never a default of ours.
        why.add(name + ": frontier_target_ratio is required (e.g. 0.95 for 95% of the frontier)");
      } else if (!(r.frontierTargetRatio() > 0 && r.frontierTargetRatio() <= 1)) {
        why.add(name + ": frontier_target_ratio must be in (0, 1]");
      }
      why.addAll(categoryProblems(name, r.categories()));
      if (r.closedAt() != null) {
        try {
          java.time.Instant.parse(r.closedAt());
        } catch (java.time.format.DateTimeParseException e) {
          why.add(name + ": closed_at is not an ISO-8601 instant (e.g. 2026-01-15T00:00:00Z)");
        }
      }
    }
    return why;
  }

  private Benchmark benchmark(String id) {
    return benchmarks.stream().filter(b -> b.id().equals(id)).findFirst().orElse(null);
  }

  private List<String> categoryProblems(String phase, List<PhaseRules.Category> categories) {
    List<String> why = new java.util.ArrayList<>();
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (PhaseRules.Category c : categories) {
      String name = phase + " category " + kai.telemetry.schemas.Ids.shown(c.id());
      if (c.id() == null || !kai.telemetry.schemas.PhaseCategories.ID.matcher(c.id()).matches()) {
        why.add(name + ": an id is lower-case letters, digits and '_', from a letter, at most 63");
        continue;
      }
      if (c.id().equals(kai.telemetry.schemas.PhaseCategories.ALL_BENCHMARKS)) {
        why.add(name + ": 'benchmark' names the whole benchmark block; choose another id");
      }
      if (!ids.add(c.id())) {
        why.add(name + " is listed twice");
      }
      if (!Double.isFinite(c.points()) || c.points() < 0) {
        why.add(name + ": points must be finite and not negative");
      }
      if (c.source() == null
          || !java.util.Set.of("catalogue", "team_benchmarks", "evaluation").contains(c.source())) {
        why.add(name + ": source must be catalogue, team_benchmarks or evaluation");
      }
      if (!java.util.Set.of("absolute", "relative").contains(c.scoring())) {
        why.add(name + ": scoring must be absolute or relative");
      }
      if (!c.benchmarks().isEmpty() && !"catalogue".equals(c.source())) {
        why.add(name + ": only a catalogue category lists benchmarks");
      }
      for (String b : c.benchmarks()) {
        Benchmark known = benchmark(b);
        if (known == null) {
          why.add(
              name
                  + ": benchmark "
                  + kai.telemetry.schemas.Ids.shown(b)
                  + " is not in the catalogue");
        } else if (known.frontierScore() == null) {
          why.add(name + ": benchmark " + b + " has no frontier reference to score against");
        }
      }
    }
    return why;
  }

  /**
   * This program with every team's names labelled as demo data, for a local or demo run whose
   * figures are simulated: no one reads them as the real teams'.
   */
  public ProgramFile asDemo() {
    List<Team> labelled =
        teams.stream()
            .map(
                t ->
                    new Team(
                        t.id(),
                        t.nameKo() + " (데모)",
                        t.nameEn() + " (demo)",
                        t.gpuAllocation(),
                        t.gpuType(),
                        t.status(),
                        t.eliminatedInPhase(),
                        t.targetModel(),
                        t.joinedPhase(),
                        t.elimination(),
                        t.eliminationReason(),
                        t.individualBenchmarks()))
            .toList();
    return new ProgramFile(program, stateAsOf, labelled, benchmarks, evaluationRules);
  }

  /** The catalogue entry an lm-evaluation-harness task reports, if any. */
  public java.util.Optional<Benchmark> benchmarkForLmEvalTask(String task) {
    return lmEvalMatch(task).map(LmEvalMatch::benchmark);
  }

  /**
   * How an lm-evaluation-harness task maps onto the catalogue: by its name in a benchmark's {@code
   * lm_eval_tasks} (the benchmark's own task or group), or else by the longest entry ending in
   * {@code *} that it starts with (a subtask, e.g. {@code kobest_*} for {@code kobest_boolq}).
   */
  public record LmEvalMatch(Benchmark benchmark, String entry, boolean subtask) {}

  public java.util.Optional<LmEvalMatch> lmEvalMatch(String task) {
    for (Benchmark b : benchmarks) {
      if (b.lmEvalTasks().contains(task)) {
        return java.util.Optional.of(new LmEvalMatch(b, task, false));
      }
    }
    LmEvalMatch best = null;
    for (Benchmark b : benchmarks) {
      for (String e : b.lmEvalTasks()) {
        if (e.endsWith("*")
            && task.startsWith(e.substring(0, e.length() - 1))
            && (best == null || e.length() > best.entry().length())) {
          best = new LmEvalMatch(b, e, true);
        }
      }
    }
    return java.util.Optional.ofNullable(best);
  }

  public List<Team> activeTeams() {
    return teams.stream().filter(t -> "active".equals(t.status())).toList();
  }
}
