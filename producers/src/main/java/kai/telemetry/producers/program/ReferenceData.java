package kai.telemetry.producers.program;

import java.util.List;
import java.util.Locale;
import kai.telemetry.reference.BenchmarkCategory;
import kai.telemetry.reference.BenchmarkInfo;
import kai.telemetry.reference.EliminationKind;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.reference.TeamStatus;

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
                    .setBenchmarkPointsNia(r.niaPoints())
                    .setBenchmarkPointsGlobalCommon(r.globalCommonPoints())
                    .setBenchmarkPointsGlobalIndividual(r.globalIndividualPoints())
                    .setExpertPoints(r.expertPoints())
                    .setUserPoints(r.userPoints())
                    .setPassThreshold(r.passThreshold())
                    .setTeamsAdvancing(r.teamsAdvancing())
                    .setFrontierTargetRatio(
                        r.frontierTargetRatio() == null ? 0.95 : r.frontierTargetRatio())
                    .setClosedMs(
                        r.closedAt() == null
                            ? null
                            : java.time.Instant.parse(r.closedAt()).toEpochMilli())
                    .setUpdatedMs(nowMs)
                    .build())
        .toList();
  }
}
