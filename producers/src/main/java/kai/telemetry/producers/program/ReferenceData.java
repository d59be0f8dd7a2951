package kai.telemetry.producers.program;

import java.util.List;
import java.util.Locale;
import kai.telemetry.reference.BenchmarkCategory;
import kai.telemetry.reference.BenchmarkInfo;
import kai.telemetry.reference.CategoryRule;
import kai.telemetry.reference.CategoryScoring;
import kai.telemetry.reference.CategorySource;
import kai.telemetry.reference.EliminationKind;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamBenchmark;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.reference.TeamStatus;
import kai.telemetry.schemas.PhaseCategories;

/** The program file as the records of the compacted reference topics. */
public final class ReferenceData {
  private ReferenceData() {}

  public static List<TeamInfo> teams(ProgramFile program, long nowMs) {
    return program.teams().stream()
        .map(
            t ->
                TeamInfo.newBuilder()
                    .setId(t.id())
                    .setNameKo(t.nameKo())
                    .setNameEn(t.nameEn())
                    .setGpuAllocation(t.gpuAllocation())
                    .setGpuType(t.gpuType())
                    .setStatus(TeamStatus.valueOf(t.status().toUpperCase(Locale.ROOT)))
                    .setEliminatedInPhase(t.eliminatedInPhase())
                    .setTargetModel(t.targetModel())
                    .setJoinedPhase(t.joinedPhase())
                    .setElimination(
                        t.elimination() == null
                            ? null
                            : EliminationKind.valueOf(t.elimination().toUpperCase(Locale.ROOT)))
                    .setEliminationReason(t.eliminationReason())
                    .setIndividualBenchmarks(
                        t.individualBenchmarks().stream()
                            .map(
                                b ->
                                    TeamBenchmark.newBuilder()
                                        .setBenchmark(b.benchmark())
                                        .setTargetScore(b.targetScore())
                                        .build())
                            .toList())
                    .setUpdatedMs(nowMs)
                    .build())
        .toList();
  }

  public static List<BenchmarkInfo> benchmarks(ProgramFile program, long nowMs) {
    return program.benchmarks().stream()
        .map(
            b ->
                BenchmarkInfo.newBuilder()
                    .setId(b.id())
                    .setName(b.name())
                    .setCategory(BenchmarkCategory.valueOf(b.category().toUpperCase(Locale.ROOT)))
                    .setMetric(b.metric())
                    .setScaleMax(b.scaleMax())
                    .setFrontierModel(b.frontierModel())
                    .setFrontierScore(b.frontierScore())
                    .setLmEvalTasks(b.lmEvalTasks())
                    .setUpdatedMs(nowMs)
                    .build())
        .toList();
  }

  public static List<EvaluationRules> rules(ProgramFile program, long nowMs) {
    return program.evaluationRules().stream()
        .map(
            r ->
                EvaluationRules.newBuilder()
                    .setPhase(r.phase())
                    .setBenchmarkPointsNia(fixed(r, PhaseCategories.NIA, r.niaPoints()))
                    .setBenchmarkPointsGlobalCommon(
                        fixed(r, PhaseCategories.GLOBAL_COMMON, r.globalCommonPoints()))
                    .setBenchmarkPointsGlobalIndividual(
                        fixed(r, PhaseCategories.GLOBAL_INDIVIDUAL, r.globalIndividualPoints()))
                    .setExpertPoints(fixed(r, PhaseCategories.EXPERT, r.expertPoints()))
                    .setUserPoints(fixed(r, PhaseCategories.USER, r.userPoints()))
                    .setPassThreshold(r.passThreshold())
                    .setTeamsAdvancing(r.teamsAdvancing())
                    .setFrontierTargetRatio(r.frontierTargetRatio()) // required by the file
                    .setClosedMs(
                        r.closedAt() == null
                            ? null
                            : java.time.Instant.parse(r.closedAt()).toEpochMilli())
                    .setCategories(
                        r.categories().stream()
                            .map(
                                c ->
                                    CategoryRule.newBuilder()
                                        .setId(c.id())
                                        .setPoints(c.points())
                                        .setSource(
                                            CategorySource.valueOf(
                                                c.source().toUpperCase(Locale.ROOT)))
                                        .setScoring(
                                            CategoryScoring.valueOf(
                                                c.scoring().toUpperCase(Locale.ROOT)))
                                        .setBenchmarks(c.benchmarks())
                                        .build())
                            .toList())
                    .setUpdatedMs(nowMs)
                    .build())
        .toList();
  }

  /**
   * A fixed point field: with a category list, that category's points (0 when the phase does not
   * have it), so the fields never contradict the list; without one, the file's value.
   */
  private static double fixed(PhaseRules r, String category, double value) {
    if (r.categories().isEmpty()) {
      return value;
    }
    return r.categories().stream()
        .filter(c -> c.id().equals(category))
        .mapToDouble(PhaseRules.Category::points)
        .sum();
  }
}
