package kai.telemetry.streams.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.DerivativeModel;
import kai.telemetry.events.EvaluationKind;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.events.Evaluator;
import kai.telemetry.kpis.BenchmarkStanding;
import kai.telemetry.kpis.PhaseScoreboard;
import kai.telemetry.kpis.PhaseStanding;
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
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.PlainAvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scoreboard worked out by hand. Phase 1: NIA 10, global common 20, global individual 10, expert
 * 35, user 25, threshold 0, two teams advance, target 95% of frontier. Catalogue: b1 (NIA, frontier
 * 0.8), b2 (NIA, 0.5), c1 (global common, 0.9).
 */
class ScoreboardJobTest {
  private static final double R = 0.5 / 0.95; // attainment of a benchmark at 50% of frontier
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestOutputTopic<String, PhaseScoreboard> board;
  private TestOutputTopic<String, BenchmarkStanding> standings;
  private TestOutputTopic<String, PhaseStanding> phaseStandings;
  private long clock = 1_000;

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <V extends SpecificRecord> Serde<V> serde(Topic<String, V> topic) {
    return new PlainAvroSerde(topic.valueAvroType().orElseThrow());
  }

  @BeforeEach
  void setUp() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scoreboard-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            ScoreboardJob.build(
                topics,
                new ScoreboardJob.ValueSerdes() {
                  @Override
                  public <V extends SpecificRecord> Serde<V> of(Topic<String, V> topic) {
                    return serde(topic);
                  }
                }),
            props);
    board =
        driver.createOutputTopic(
            topics.phaseScoreboard.name(),
            Serdes.String().deserializer(),
            serde(topics.phaseScoreboard).deserializer());
    standings =
        driver.createOutputTopic(
            topics.benchmarkStandings.name(),
            Serdes.String().deserializer(),
            serde(topics.benchmarkStandings).deserializer());
    phaseStandings =
        driver.createOutputTopic(
            topics.phaseStandings.name(),
            Serdes.String().deserializer(),
            serde(topics.phaseStandings).deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private <V extends SpecificRecord> void send(Topic<String, V> topic, String key, V value) {
    driver
        .createInputTopic(topic.name(), Serdes.String().serializer(), serde(topic).serializer())
        .pipeInput(key, value, clock++);
  }

  private void team(String id, TeamStatus status, Integer eliminatedIn) {
    send(
        topics.teams,
        id,
        TeamInfo.newBuilder()
            .setId(id)
            .setNameKo(id + "-ko")
            .setNameEn(id + "-en")
            .setGpuAllocation(1000)
            .setStatus(status)
            .setEliminatedInPhase(eliminatedIn)
            .setUpdatedMs(clock)
            .build());
  }

  private void benchmark(String id, BenchmarkCategory category, double frontier) {
    send(
        topics.benchmarks,
        id,
        BenchmarkInfo.newBuilder()
            .setId(id)
            .setName(id)
            .setCategory(category)
            .setMetric("acc,none")
            .setScaleMax(1.0)
            .setFrontierScore(frontier)
            .setUpdatedMs(clock)
            .build());
  }

  private void rules(int phase, Integer advancing) {
    send(
        topics.evaluationRules,
        Integer.toString(phase),
        EvaluationRules.newBuilder()
            .setPhase(phase)
            .setBenchmarkPointsNia(10)
            .setBenchmarkPointsGlobalCommon(20)
            .setBenchmarkPointsGlobalIndividual(10)
            .setExpertPoints(35)
            .setUserPoints(25)
            .setPassThreshold(0)
            .setTeamsAdvancing(advancing)
            .setFrontierTargetRatio(0.95)
            .setUpdatedMs(clock)
            .build());
  }

  private void result(String team, String benchmark, double score, Evaluator evaluator) {
    send(
        topics.benchmarkResults,
        team,
        BenchmarkResult.newBuilder()
            .setTeam(team)
            .setModel(team + "-model")
            .setBenchmark(benchmark)
            .setMetric("acc,none")
            .setScore(score)
            .setEvaluator(evaluator)
            .setTsMs(clock)
            .build());
  }

  private void evaluation(String team, EvaluationKind kind, double score, double max) {
    send(
        topics.evaluationScores,
        team,
        EvaluationScore.newBuilder()
            .setTeam(team)
            .setPhase(1)
            .setKind(kind)
            .setScore(score)
            .setMaxScore(max)
            .setTsMs(clock)
            .build());
  }

  private Map<String, PhaseScoreboard> latest() {
    Map<String, PhaseScoreboard> m = new LinkedHashMap<>();
    board.readKeyValuesToList().forEach(kv -> m.put(kv.key, kv.value));
    return m;
  }

  private void phaseOneInputs() {
    rules(1, 2);
    benchmark("b1", BenchmarkCategory.NIA, 0.8);
    benchmark("b2", BenchmarkCategory.NIA, 0.5);
    benchmark("c1", BenchmarkCategory.GLOBAL_COMMON, 0.9);
    team("a", TeamStatus.ACTIVE, null);
    team("b", TeamStatus.ACTIVE, null);
    team("c", TeamStatus.ACTIVE, null);
    team("d", TeamStatus.ELIMINATED, 1);
    result("a", "b1", 0.76, Evaluator.OFFICIAL); // 95% of frontier: full attainment
    result("a", "b2", 0.25, Evaluator.OFFICIAL); // 50%
    result("a", "c1", 0.9, Evaluator.OFFICIAL); // 100%, capped at full
    result("b", "b1", 0.4, Evaluator.OFFICIAL);
    result("b", "c1", 0.45, Evaluator.OFFICIAL);
    result("c", "b1", 0.8, Evaluator.SELF_REPORTED); // not counted
    evaluation("a", EvaluationKind.EXPERT, 28, 35);
    evaluation("a", EvaluationKind.USER, 20, 25);
    evaluation("b", EvaluationKind.EXPERT, 35, 35);
    evaluation("b", EvaluationKind.USER, 25, 25);
    evaluation("c", EvaluationKind.EXPERT, 10, 35);
    evaluation("c", EvaluationKind.USER, 5, 25);
    evaluation("d", EvaluationKind.EXPERT, 30, 35);
    send(
        topics.derivativeModels,
        "a",
        DerivativeModel.newBuilder()
            .setTeam("a")
            .setBaseModel("m")
            .setDerivative("x/d1")
            .setTsMs(clock)
            .build());
    send(
        topics.derivativeModels,
        "a",
        DerivativeModel.newBuilder()
            .setTeam("a")
            .setBaseModel("m")
            .setDerivative("y/d2")
            .setTsMs(clock)
            .build());
    send(
        topics.derivativeModels,
        "a",
        DerivativeModel.newBuilder()
            .setTeam("a")
            .setBaseModel("m")
            .setDerivative("x/d1")
            .setTsMs(clock)
            .build());
  }

  @Test
  void pointsRankPassAndEliminationLineFollowTheRules() {
    phaseOneInputs();
    Map<String, PhaseScoreboard> rows = latest();
    assertThat(rows).containsOnlyKeys("1/a", "1/b", "1/c", "1/d");

    PhaseScoreboard a = rows.get("1/a");
    assertThat(a.getBenchmarkPointsNia()).isCloseTo(10 * (1 + R) / 2, within(1e-12));
    assertThat(a.getBenchmarkPointsGlobalCommon()).isCloseTo(20.0, within(1e-12));
    assertThat(a.getBenchmarkPointsGlobalIndividual()).isZero();
    assertThat(a.getExpertPoints()).isCloseTo(28.0, within(1e-12));
    assertThat(a.getUserPoints()).isCloseTo(20.0, within(1e-12));
    assertThat(a.getTotal()).isCloseTo(10 * (1 + R) / 2 + 20 + 28 + 20, within(1e-12));
    assertThat(a.getRank()).isEqualTo(1);
    assertThat(a.getPassed()).isTrue();
    assertThat(a.getFrontierIndex()).isCloseTo((95.0 + 50 + 100) / 3, within(1e-9));
    assertThat(a.getFrontierIndexNia()).isCloseTo(72.5, within(1e-9));
    assertThat(a.getFrontierIndexGlobalCommon()).isCloseTo(100.0, within(1e-9));
    assertThat(a.getDerivativeModels()).isEqualTo(2);
    assertThat(a.getTeamNameKo()).isEqualTo("a-ko");

    PhaseScoreboard b = rows.get("1/b");
    double bTotal = 10 * R / 2 + 20 * R + 35 + 25;
    assertThat(b.getTotal()).isCloseTo(bTotal, within(1e-12));
    assertThat(b.getRank()).isEqualTo(2);
    assertThat(b.getPassed()).isTrue();
    assertThat(b.getEliminationLine()).isCloseTo(bTotal, within(1e-12)); // the last advancing team

    assertThat(rows.get("1/d").getTotal()).isCloseTo(30.0, within(1e-12));
    assertThat(rows.get("1/d").getRank()).isEqualTo(3);
    assertThat(rows.get("1/d").getPassed()).isFalse();
    assertThat(rows.get("1/d").getTeamStatus()).isEqualTo("ELIMINATED");
    assertThat(rows.get("1/c").getTotal())
        .isCloseTo(15.0, within(1e-12)); // self-reported score ignored
    assertThat(rows.get("1/c").getRank()).isEqualTo(4);

    Map<String, BenchmarkStanding> st = new LinkedHashMap<>();
    standings.readKeyValuesToList().forEach(kv -> st.put(kv.key, kv.value));
    assertThat(st).containsOnlyKeys("a/b1", "a/b2", "a/c1", "b/b1", "b/c1");
    assertThat(st.get("a/b1").getPctOfFrontier()).isCloseTo(95.0, within(1e-9));
    assertThat(st.get("a/b1").getGapToTargetPct()).isCloseTo(0.0, within(1e-9));
    assertThat(st.get("b/c1").getGapToTargetPct()).isCloseTo(45.0, within(1e-9));
    assertThat(st.get("b/c1").getCategory()).isEqualTo("GLOBAL_COMMON");
  }

  @Test
  void aRuleChangeRecomputesAndEliminatedTeamsKeepTheirPhaseHistory() {
    phaseOneInputs();
    long before = latest().get("1/d").getVersion();
    rules(1, 3); // three teams advance now
    Map<String, PhaseScoreboard> rows = latest();
    // d left in phase 1: it never passes, whatever the cut, and takes no place; c, the third
    // team still in, does.
    assertThat(rows.get("1/d").getPassed()).isFalse();
    assertThat(rows.get("1/d").getStatusReason()).isEqualTo("ELIMINATED");
    assertThat(rows.get("1/d").getVersion()).isGreaterThan(before);
    assertThat(rows.get("1/c").getPassed()).isTrue();
    // Three places for three teams still in: the cut does not bind, the threshold is the line.
    assertThat(rows.get("1/c").getEliminationLine()).isZero();

    rules(2, 2); // phase 2 opens: d was eliminated in phase 1
    rows = latest();
    assertThat(rows).containsKeys("2/a", "2/b", "2/c").doesNotContainKey("2/d");
    assertThat(rows).containsKey("1/d");
    assertThat(rows.get("2/a").getExpertPoints()).isZero(); // no phase-2 expert scores yet
  }

  private void team(String id, int joined, EliminationKind kind, Integer leftIn, String reason) {
    send(
        topics.teams,
        id,
        TeamInfo.newBuilder()
            .setId(id)
            .setNameKo(id + "-ko")
            .setNameEn(id + "-en")
            .setGpuAllocation(1000)
            .setStatus(leftIn == null ? TeamStatus.ACTIVE : TeamStatus.ELIMINATED)
            .setEliminatedInPhase(leftIn)
            .setJoinedPhase(joined)
            .setElimination(kind)
            .setEliminationReason(reason)
            .setUpdatedMs(clock)
            .build());
  }

  @Test
  void aDisqualifiedTeamNeverPassesWhateverItsTotalAndTakesNoPlace() {
    phaseOneInputs();
    // e has the best total of all (every point but global individual's, for which there is no
    // benchmark) but is disqualified.
    team("e", 1, EliminationKind.DISQUALIFIED, 1, "originality rule");
    result("e", "b1", 0.8, Evaluator.OFFICIAL);
    result("e", "b2", 0.5, Evaluator.OFFICIAL);
    result("e", "c1", 0.9, Evaluator.OFFICIAL);
    evaluation("e", EvaluationKind.EXPERT, 35, 35);
    evaluation("e", EvaluationKind.USER, 25, 25);
    Map<String, PhaseScoreboard> rows = latest();
    PhaseScoreboard e = rows.get("1/e");
    assertThat(e.getTotal()).isCloseTo(90.0, within(1e-12));
    assertThat(e.getRank()).isEqualTo(1); // its history stays: ranked by its total
    assertThat(e.getPassed()).isFalse();
    assertThat(e.getStatusReason()).isEqualTo("DISQUALIFIED: originality rule");
    // The two places go to a and b, as without e.
    assertThat(rows.get("1/a").getPassed()).isTrue();
    assertThat(rows.get("1/b").getPassed()).isTrue();
    assertThat(rows.values().stream().filter(PhaseScoreboard::getPassed).count()).isEqualTo(2);
  }

  @Test
  void aTieAtTheCutIsFlaggedAndNeverLetsMoreTeamsThroughThanTheCap() {
    rules(1, 2);
    benchmark("b1", BenchmarkCategory.NIA, 0.8);
    for (String t : List.of("p", "q", "r", "s")) {
      team(t, TeamStatus.ACTIVE, null);
    }
    evaluation("p", EvaluationKind.EXPERT, 35, 35); // 35
    evaluation("q", EvaluationKind.EXPERT, 28, 35); // 28
    evaluation("r", EvaluationKind.EXPERT, 28, 35); // 28: tied with q on the cut of two
    evaluation("s", EvaluationKind.EXPERT, 7, 35); // 7
    Map<String, PhaseScoreboard> rows = latest();
    assertThat(rows.get("1/p").getPassed()).isTrue();
    assertThat(rows.get("1/p").getCutTie()).isFalse();
    for (String t : List.of("1/q", "1/r")) {
      assertThat(rows.get(t).getPassed()).as(t).isFalse();
      assertThat(rows.get(t).getCutTie()).as(t).isTrue();
      assertThat(rows.get(t).getRank()).isEqualTo(2);
    }
    assertThat(rows.get("1/s").getCutTie()).isFalse();
    assertThat(rows.get("1/s").getPassed()).isFalse();
    assertThat(rows.get("1/q").getEliminationLine()).isCloseTo(28.0, within(1e-12));

    // The program office decides: r withdraws; q passes, and the cap holds.
    team("r", 1, EliminationKind.WITHDRAWN, 1, null);
    rows = latest();
    assertThat(rows.get("1/q").getPassed()).isTrue();
    assertThat(rows.get("1/q").getCutTie()).isFalse();
    assertThat(rows.get("1/r").getPassed()).isFalse();
    assertThat(rows.get("1/r").getStatusReason()).isEqualTo("WITHDRAWN");
    assertThat(rows.values().stream().filter(PhaseScoreboard::getPassed).count()).isEqualTo(2);
  }

  @Test
  void aTeamThatJoinsInPhaseTwoAppearsFromPhaseTwoOnly() {
    phaseOneInputs();
    rules(2, 2);
    team("n", 2, null, null, null);
    Map<String, PhaseScoreboard> rows = latest();
    assertThat(rows).containsKey("2/n").doesNotContainKey("1/n");
  }

  @Test
  void closingAPhaseFreezesItsBoardAgainstLaterInputsAndRuleChanges() {
    phaseOneInputs();
    send(
        topics.evaluationRules,
        "1",
        EvaluationRules.newBuilder()
            .setPhase(1)
            .setBenchmarkPointsNia(10)
            .setBenchmarkPointsGlobalCommon(20)
            .setBenchmarkPointsGlobalIndividual(10)
            .setExpertPoints(35)
            .setUserPoints(25)
            .setPassThreshold(0)
            .setTeamsAdvancing(2)
            .setFrontierTargetRatio(0.95)
            .setUpdatedMs(clock)
            .setClosedMs(clock)
            .build());
    Map<String, PhaseScoreboard> closed = latest();
    assertThat(closed.keySet()).containsExactlyInAnyOrder("1/a", "1/b", "1/c", "1/d");
    assertThat(closed.values()).allSatisfy(r -> assertThat(r.getClosed()).isTrue());
    // Its final standings, once: every official result of its teams as it stood at closing.
    List<org.apache.kafka.streams.KeyValue<String, PhaseStanding>> last =
        phaseStandings.readKeyValuesToList();
    assertThat(last)
        .extracting(kv -> kv.key)
        .containsExactlyInAnyOrder("1/a/b1", "1/a/b2", "1/a/c1", "1/b/b1", "1/b/c1");
    assertThat(last).allSatisfy(kv -> assertThat(kv.value.getPhase()).isEqualTo(1));
    assertThat(last.get(0).value.getScore()).isEqualTo(0.76);

    // A late result, a new evaluation, a team joining, a rule change for phase 1 and phase 2.
    result("c", "c1", 0.9, Evaluator.OFFICIAL);
    evaluation("c", EvaluationKind.USER, 25, 25);
    team("n", 1, null, null, null);
    rules(1, 4);
    rules(2, 2);
    List<org.apache.kafka.streams.KeyValue<String, PhaseScoreboard>> after =
        board.readKeyValuesToList();
    assertThat(after).isNotEmpty().allSatisfy(kv -> assertThat(kv.key).startsWith("2/"));
    assertThat(phaseStandings.readKeyValuesToList()).as("phase 1's standings are final").isEmpty();
    assertThat(standings.readValuesToList())
        .as("the live standings follow the late result")
        .anySatisfy(st -> assertThat(st.getTeam() + st.getBenchmark()).isEqualTo("cc1"));
  }

  @Test
  void aResultOnAnotherScaleThanTheCatalogueComparesOnTheSameScale() {
    rules(1, null);
    benchmark("b1", BenchmarkCategory.NIA, 0.8); // frontier 0.8 of 1
    team("a", TeamStatus.ACTIVE, null);
    send(
        topics.benchmarkResults,
        "a",
        BenchmarkResult.newBuilder()
            .setTeam("a")
            .setModel("m")
            .setBenchmark("b1")
            .setMetric("acc,none")
            .setScore(60.0) // a harness reporting percent
            .setScaleMax(100.0)
            .setEvaluator(Evaluator.OFFICIAL)
            .setTsMs(5_000)
            .build());
    List<BenchmarkStanding> out = standings.readValuesToList();
    BenchmarkStanding s = out.get(out.size() - 1);
    assertThat(s.getPctOfFrontier()).isCloseTo(75.0, within(1e-9)); // 0.60 / 0.80
    assertThat(s.getGapToTargetPct()).isCloseTo(20.0, within(1e-9)); // the rules' 95 - 75
  }

  @Test
  void withoutRulesThereIsNoTargetToMeasureAGapTo() {
    benchmark("b1", BenchmarkCategory.NIA, 0.8);
    result("a", "b1", 0.4, Evaluator.OFFICIAL);
    List<BenchmarkStanding> out = standings.readValuesToList();
    assertThat(out.get(out.size() - 1).getPctOfFrontier()).isCloseTo(50.0, within(1e-9));
    assertThat(out.get(out.size() - 1).getGapToTargetPct()).isNull();
  }

  @Test
  void aLateOlderResultDoesNotReplaceTheLatest() {
    rules(1, null);
    benchmark("b1", BenchmarkCategory.NIA, 0.8);
    team("a", TeamStatus.ACTIVE, null);
    send(
        topics.benchmarkResults,
        "a",
        BenchmarkResult.newBuilder()
            .setTeam("a")
            .setModel("m")
            .setBenchmark("b1")
            .setMetric("acc,none")
            .setScore(0.6)
            .setEvaluator(Evaluator.OFFICIAL)
            .setTsMs(5_000)
            .build());
    send(
        topics.benchmarkResults,
        "a",
        BenchmarkResult.newBuilder()
            .setTeam("a")
            .setModel("m")
            .setBenchmark("b1")
            .setMetric("acc,none")
            .setScore(0.2)
            .setEvaluator(Evaluator.OFFICIAL)
            .setTsMs(4_000)
            .build());
    List<BenchmarkStanding> out = standings.readValuesToList();
    assertThat(out.get(out.size() - 1).getScore()).isEqualTo(0.6);

    // A later subtask's own score is kept for analysis, never taken as the benchmark's.
    send(
        topics.benchmarkResults,
        "a",
        BenchmarkResult.newBuilder()
            .setTeam("a")
            .setModel("m")
            .setBenchmark("b1")
            .setTask("b1_hard_subset")
            .setMetric("acc,none")
            .setScore(0.1)
            .setEvaluator(Evaluator.OFFICIAL)
            .setSubtask(true)
            .setTsMs(6_000)
            .build());
    assertThat(standings.readValuesToList()).isEmpty();
  }

  private static CategoryRule category(
      String id, double points, CategorySource source, CategoryScoring scoring) {
    return CategoryRule.newBuilder()
        .setId(id)
        .setPoints(points)
        .setSource(source)
        .setScoring(scoring)
        .build();
  }

  /** Rules that list their categories; the fixed fields are zero, so only the list can count. */
  private void rulesWith(int phase, List<CategoryRule> categories) {
    send(
        topics.evaluationRules,
        Integer.toString(phase),
        EvaluationRules.newBuilder()
            .setPhase(phase)
            .setBenchmarkPointsNia(0)
            .setBenchmarkPointsGlobalCommon(0)
            .setBenchmarkPointsGlobalIndividual(0)
            .setExpertPoints(0)
            .setUserPoints(0)
            .setPassThreshold(0)
            .setTeamsAdvancing(null)
            .setFrontierTargetRatio(0.95)
            .setCategories(categories)
            .setUpdatedMs(clock)
            .build());
  }

  private void evaluation(String team, int phase, String category, double score, double max) {
    send(
        topics.evaluationScores,
        team,
        EvaluationScore.newBuilder()
            .setTeam(team)
            .setPhase(phase)
            .setKind(EvaluationKind.OTHER)
            .setCategory(category)
            .setScore(score)
            .setMaxScore(max)
            .setTsMs(clock)
            .build());
  }

  private static double points(PhaseScoreboard row, String category) {
    return row.getCategoryPoints().get(row.getCategories().indexOf(category));
  }

  /**
   * Phase 2 scores NIA relative to the best team (30 points) and expert absolute (70). a's NIA
   * attainment is (1 + R) / 2 (b1 at 95% of frontier, b2 at 50%), b's is R / 2 (b1 at 50%, no b2):
   * a, the best, earns 30; b earns 30 x (R / 2) / ((1 + R) / 2) = 30 x 10/29.
   */
  @Test
  void relativeScoringGivesTheBestTeamTheFullPointsAndTheOthersTheirShareOfTheBest() {
    phaseOneInputs();
    rulesWith(
        2,
        List.of(
            category("nia", 30, CategorySource.CATALOGUE, CategoryScoring.RELATIVE),
            category("expert", 70, CategorySource.EVALUATION, CategoryScoring.ABSOLUTE)));
    evaluation("a", 2, "expert", 35, 70);
    evaluation("b", 2, "expert", 70, 70);
    Map<String, PhaseScoreboard> rows = latest();
    PhaseScoreboard a = rows.get("2/a");
    PhaseScoreboard b = rows.get("2/b");
    assertThat(a.getCategories()).containsExactly("nia", "expert");
    assertThat(a.getCategoryMaxPoints()).containsExactly(30.0, 70.0);
    assertThat(points(a, "nia")).isCloseTo(30, within(1e-9));
    assertThat(points(b, "nia")).isCloseTo(300.0 / 29, within(1e-9));
    assertThat(a.getTotal()).isCloseTo(30 + 35, within(1e-9));
    assertThat(b.getTotal()).isCloseTo(300.0 / 29 + 70, within(1e-9));
    assertThat(b.getRank()).isEqualTo(1);
    // c has no official result: 0 of the best, not a division by zero.
    assertThat(points(rows.get("2/c"), "nia")).isZero();
    // Phase 1 keeps its absolute NIA: a's 10 x (1 + R) / 2.
    assertThat(rows.get("1/a").getBenchmarkPointsNia()).isCloseTo(10 * (1 + R) / 2, within(1e-9));
  }

  /**
   * Phase 2 adds a category phase 1 did not have ("agentic", 30 points from the program office's
   * evaluation) beside NIA (20) and expert (50). It counts in phase 2 only.
   */
  @Test
  void aCategoryAddedInPhaseTwoCountsThereAndLeavesPhaseOneAsItWas() {
    phaseOneInputs();
    Map<String, PhaseScoreboard> before = latest();
    rulesWith(
        2,
        List.of(
            category("nia", 20, CategorySource.CATALOGUE, CategoryScoring.ABSOLUTE),
            category("agentic", 30, CategorySource.EVALUATION, CategoryScoring.ABSOLUTE),
            category("expert", 50, CategorySource.EVALUATION, CategoryScoring.ABSOLUTE)));
    evaluation("a", 2, "agentic", 15, 30);
    Map<String, PhaseScoreboard> rows = latest();
    PhaseScoreboard a2 = rows.get("2/a");
    assertThat(a2.getCategories()).containsExactly("nia", "agentic", "expert");
    assertThat(points(a2, "nia")).isCloseTo(20 * (1 + R) / 2, within(1e-9));
    assertThat(points(a2, "agentic")).isCloseTo(15, within(1e-9));
    assertThat(points(a2, "expert")).isZero(); // phase 1's expert score is phase 1's
    assertThat(a2.getBenchmarkPoints()).isCloseTo(20 * (1 + R) / 2, within(1e-9));
    assertThat(a2.getTotal()).isCloseTo(20 * (1 + R) / 2 + 15, within(1e-9));
    PhaseScoreboard a1 = rows.get("1/a");
    assertThat(a1.getCategories())
        .containsExactly("nia", "global_common", "global_individual", "expert", "user");
    assertThat(a1.getTotal()).isCloseTo(before.get("1/a").getTotal(), within(1e-9));
  }

  /**
   * Global individual (10 points) against each team's own target model: g1 and g2 are in the
   * catalogue (frontier 0.9 and 0.8). a chose g1 (target 0.6) and g2 (target 0.8) but has a result
   * on g1 only: 0.57 / 0.6 = 95% of its target, full attainment, and g2 counts 0, so 5 points, not
   * 10. b chose g1 with no target score (the frontier, 0.9): 0.855 is 95%, 10 points. c chose both
   * and reached g2 at 50% of target: 10 x (1 + R) / 2.
   */
  @Test
  void globalIndividualComparesEachTeamWithItsOwnTargetAndMissingBenchmarksCountZero() {
    rules(1, 3);
    benchmark("g1", BenchmarkCategory.GLOBAL_INDIVIDUAL, 0.9);
    benchmark("g2", BenchmarkCategory.GLOBAL_INDIVIDUAL, 0.8);
    teamWithTargets("a", List.of(target("g1", 0.6), target("g2", 0.8)));
    teamWithTargets("b", List.of(target("g1", null)));
    teamWithTargets("c", List.of(target("g1", 0.6), target("g2", 0.8)));
    result("a", "g1", 0.57, Evaluator.OFFICIAL);
    result("b", "g1", 0.855, Evaluator.OFFICIAL);
    result("c", "g1", 0.57, Evaluator.OFFICIAL);
    result("c", "g2", 0.4, Evaluator.OFFICIAL);
    Map<String, PhaseScoreboard> rows = latest();
    assertThat(rows.get("1/a").getBenchmarkPointsGlobalIndividual()).isCloseTo(5, within(1e-9));
    assertThat(rows.get("1/b").getBenchmarkPointsGlobalIndividual()).isCloseTo(10, within(1e-9));
    assertThat(rows.get("1/c").getBenchmarkPointsGlobalIndividual())
        .isCloseTo(10 * (1 + R) / 2, within(1e-9));
  }

  /** The evaluation body's published points for one category replace that category's computed. */
  @Test
  void publishedCategoryPointsReplaceTheComputedOnesOfThatCategoryOnly() {
    phaseOneInputs();
    evaluation("a", 1, "nia", 8, 10);
    PhaseScoreboard a = latest().get("1/a");
    assertThat(a.getBenchmarkPointsNia()).isCloseTo(8, within(1e-9));
    assertThat(a.getPublishedCategories()).containsExactly("nia");
    assertThat(a.getBenchmarkPointsGlobalCommon()).isCloseTo(20, within(1e-9)); // computed
    assertThat(a.getBenchmarkPoints()).isCloseTo(8 + 20, within(1e-9));
    assertThat(a.getBenchmarkPointsPublished()).isFalse(); // not the whole block
  }

  private static TeamBenchmark target(String benchmark, Double score) {
    return TeamBenchmark.newBuilder().setBenchmark(benchmark).setTargetScore(score).build();
  }

  private void teamWithTargets(String id, List<TeamBenchmark> own) {
    send(
        topics.teams,
        id,
        TeamInfo.newBuilder()
            .setId(id)
            .setNameKo(id + "-ko")
            .setNameEn(id + "-en")
            .setGpuAllocation(1000)
            .setStatus(TeamStatus.ACTIVE)
            .setIndividualBenchmarks(own)
            .setUpdatedMs(clock)
            .build());
  }
}
