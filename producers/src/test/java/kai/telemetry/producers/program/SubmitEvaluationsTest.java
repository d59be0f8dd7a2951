package kai.telemetry.producers.program;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kai.telemetry.events.EvaluationKind;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.reference.CategoryRule;
import kai.telemetry.reference.CategoryScoring;
import kai.telemetry.reference.CategorySource;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamInfo;
import org.junit.jupiter.api.Test;

/** A line's category must be one of its phase's rules. */
class SubmitEvaluationsTest {
  private static final Map<String, TeamInfo> TEAMS =
      Map.of(
          "upstage",
          TeamInfo.newBuilder()
              .setId("upstage")
              .setNameKo("업스테이지")
              .setNameEn("Upstage")
              .setGpuAllocation(8)
              .setStatus(kai.telemetry.reference.TeamStatus.ACTIVE)
              .setUpdatedMs(0)
              .build());

  private static EvaluationRules rules(int phase, List<CategoryRule> categories) {
    return EvaluationRules.newBuilder()
        .setPhase(phase)
        .setBenchmarkPointsNia(10)
        .setBenchmarkPointsGlobalCommon(20)
        .setBenchmarkPointsGlobalIndividual(10)
        .setExpertPoints(35)
        .setUserPoints(25)
        .setPassThreshold(0)
        .setCategories(categories)
        .setUpdatedMs(0)
        .build();
  }

  private static final Map<String, EvaluationRules> RULES =
      Map.of(
          "1",
          rules(1, List.of()),
          "2",
          rules(
              2,
              List.of(
                  CategoryRule.newBuilder()
                      .setId("nia")
                      .setPoints(20)
                      .setSource(CategorySource.CATALOGUE)
                      .setScoring(CategoryScoring.ABSOLUTE)
                      .build(),
                  CategoryRule.newBuilder()
                      .setId("agentic")
                      .setPoints(30)
                      .setSource(CategorySource.EVALUATION)
                      .setScoring(CategoryScoring.RELATIVE)
                      .build())));

  private static EvaluationScore parse(String line, List<String> problems) {
    return SubmitEvaluations.parse(line, 2, TEAMS, RULES, 1_000, problems);
  }

  @Test
  void aCategoryOfThePhaseIsAcceptedAndRecordedAsThatCategory() {
    List<String> problems = new ArrayList<>();
    EvaluationScore agentic = parse("2,upstage,agentic,12,30,panel-a", problems);
    EvaluationScore published = parse("2,upstage,nia,8,20,nia-board", problems);
    EvaluationScore block = parse("2,upstage,benchmark,30,40,nia-board", problems);
    EvaluationScore expert = parse("1,upstage,Expert,30,35,panel", problems);
    assertThat(problems).isEmpty();
    assertThat(agentic.getCategory()).isEqualTo("agentic");
    assertThat(agentic.getKind()).isEqualTo(EvaluationKind.OTHER);
    assertThat(published.getCategory()).isEqualTo("nia");
    assertThat(block.getKind()).isEqualTo(EvaluationKind.BENCHMARK);
    assertThat(block.getCategory()).isNull();
    assertThat(expert.getKind()).isEqualTo(EvaluationKind.EXPERT);
    assertThat(expert.getCategory()).isEqualTo("expert");
  }

  @Test
  void aCategoryThePhaseDoesNotHaveIsRefusedNamingThePhasesCategories() {
    List<String> problems = new ArrayList<>();
    assertThat(parse("2,upstage,expert,30,35,panel", problems)).isNull();
    assertThat(parse("1,upstage,agentic,3,10,panel", problems)).isNull();
    assertThat(problems)
        .containsExactly(
            "line 2: category 'expert' is not one of phase 2's: nia, agentic, or benchmark (the"
                + " whole benchmark block)",
            "line 2: category 'agentic' is not one of phase 1's: nia, global_common,"
                + " global_individual, expert, user, or benchmark (the whole benchmark block)");
  }
}
