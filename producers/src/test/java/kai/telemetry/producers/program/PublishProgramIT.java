package kai.telemetry.producers.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.producers.collect.TopicReader;
import kai.telemetry.reference.EliminationKind;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.reference.TeamStatus;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.common.config.AbstractConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program office publishes the program from its files, as its own principal: the launch state,
 * then the state after phase 1; what did not change is not published again, and a closed phase's
 * rules cannot be changed.
 */
@ExtendWith(RealStackExtension.class)
class PublishProgramIT {
  private final TestNamespace ns = TestNamespace.of(PublishProgramIT.class);

  @Test
  void publishesWhatChangedAndRefusesToReopenAClosedPhase(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> settings = new HashMap<>();
    settings.putAll(
        stack
            .createPrincipals(
                Map.of(KafkaAccess.PROGRAM_OFFICE, new KafkaAccess(topics).programOffice()))
            .get(KafkaAccess.PROGRAM_OFFICE)
            .deployableSettings());
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(PublishProgram.PROGRAM_FILE, "unused");
    AbstractConfig config = new AbstractConfig(PublishProgram.DEF, settings);

    PublishProgram.Result launch =
        PublishProgram.run(config, ProgramFile.load("launch-2025-09"), 1_000);
    assertThat(launch.changes())
        .contains("added team naver-cloud", "added rules of phase 1")
        .hasSize(5 + 11 + 1);
    assertThat(launch.unchanged()).isZero();

    PublishProgram.Result after =
        PublishProgram.run(config, ProgramFile.load("after-phase-1-2026-01"), 2_000);
    assertThat(after.changes())
        .containsExactlyInAnyOrder(
            "changed team naver-cloud", "changed team nc-ai", "changed rules of phase 1");
    assertThat(after.unchanged()).isEqualTo(3 + 11);

    PublishProgram.Result again =
        PublishProgram.run(config, ProgramFile.load("after-phase-1-2026-01"), 3_000);
    assertThat(again.changes()).isEmpty();

    // Phase 1 is closed now: a file that changes its rules is refused, and nothing is published.
    String reopened =
        new String(
                PublishProgramIT.class
                    .getResourceAsStream("/program/k-ai-after-phase-1-2026-01.json")
                    .readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"teams_advancing\": 3", "\"teams_advancing\": 4")
            .replace(
                "\"status\": \"active\"}",
                "\"status\": \"withdrawn\", \"eliminated_in_phase\": 2}");
    Path file = dir.resolve("reopened.json");
    Files.writeString(file, reopened);
    long before = TopicReader.readAll(stack, topics.teams).size();
    assertThatThrownBy(() -> PublishProgram.run(config, ProgramFile.load(file.toString()), 4_000))
        .hasMessageContaining("phase 1 is closed: its rules cannot change")
        .hasMessageContaining("nothing was published");
    assertThat(TopicReader.readAll(stack, topics.teams)).hasSize((int) before);

    List<TeamInfo> teams =
        TopicReader.readAll(stack, topics.teams).stream().map(r -> r.value()).toList();
    TeamInfo naver =
        teams.stream().filter(t -> t.getId().equals("naver-cloud")).reduce((a, b) -> b).get();
    assertThat(naver.getStatus()).isEqualTo(TeamStatus.ELIMINATED);
    assertThat(naver.getEliminatedInPhase()).isEqualTo(1);
    assertThat(naver.getElimination()).isEqualTo(EliminationKind.DISQUALIFIED);
    assertThat(naver.getEliminationReason()).startsWith("originality rule");
  }

  @Test
  void evaluationsAndDerivativesAreCheckedAgainstTheProgramLineByLine(
      LocalStack stack, @TempDir Path dir) throws Exception {
    TestNamespace own = TestNamespace.of(PublishProgramIT.class);
    Topics topics = Topics.withPrefix(own.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> settings = new HashMap<>(stack.deployableSettings());
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(CommonSettings.TOPIC_PREFIX, own.topicPrefix());
    settings.put(PublishProgram.PROGRAM_FILE, "unused");
    settings.put(SubmitEvaluations.FILE, "unused");
    settings.put(RegisterDerivatives.FILE, "unused");
    PublishProgram.run(
        new AbstractConfig(PublishProgram.DEF, settings),
        ProgramFile.load("after-phase-1-2026-01"),
        1_000);
    long now = java.time.Instant.parse("2026-03-01T00:00:00Z").toEpochMilli();

    Path bad = dir.resolve("bad.csv");
    Files.writeString(
        bad,
        """
        phase,team,kind,score,max_score,evaluator
        2,lg-ai-research,expert,30,35,panel
        1,upstage,expert,30,35,panel
        2,nobody,user,10,25,public
        2,upstage,user,30,25,public
        2,nc-ai,user,10,25,public
        """);
    AbstractConfig submit = new AbstractConfig(SubmitEvaluations.DEF, settings);
    assertThatThrownBy(() -> SubmitEvaluations.run(submit, bad, now))
        .hasMessageContaining("nothing was submitted")
        .hasMessageContaining("line 2: phase 2 has no published rules")
        .hasMessageContaining("line 3: phase 1 is closed: its evaluations are final")
        .hasMessageContaining("line 4: team 'nobody' is not a team of the program")
        .hasMessageContaining("line 5: score 30.0 is outside 0..25.0")
        .hasMessageContaining("line 6: team nc-ai is not in phase 2");
    assertThat(TopicReader.readAll(stack, topics.evaluationScores)).isEmpty();

    AbstractConfig register = new AbstractConfig(RegisterDerivatives.DEF, settings);
    Path wrong = dir.resolve("wrong.csv");
    Files.writeString(
        wrong,
        "derivative,base_model,team,publisher,published,source\n"
            + "someone/exaone-ft,EXAONE-4.0-32B,lg-ai-research,someone,2027-01-01,\n"
            + "x y,EXAONE-4.0-32B,lg-ai-research,,2026-02-01,\n");
    assertThatThrownBy(() -> RegisterDerivatives.run(register, wrong, now))
        .hasMessageContaining("line 2: published 2027-01-01 is in the future")
        .hasMessageContaining("line 3: derivative 'x y' is not an id");
    Path good = dir.resolve("good.csv");
    Files.writeString(
        good,
        "derivative,base_model,team,publisher,published,source\n"
            + "someone/exaone-ft,EXAONE-4.0-32B,lg-ai-research,someone,2026-02-01,"
            + "https://huggingface.co/someone/exaone-ft\n"
            + "lab/solar-ko,solar-pro,upstage,lab,2026-02-10T09:00:00Z,\n");
    assertThat(RegisterDerivatives.run(register, good, now))
        .containsExactly(
            "lg-ai-research EXAONE-4.0-32B <- someone/exaone-ft",
            "upstage solar-pro <- lab/solar-ko");
    assertThat(TopicReader.readAll(stack, topics.derivativeModels))
        .extracting(r -> r.value().getSource())
        .containsExactly("https://huggingface.co/someone/exaone-ft", null);
  }

  @Test
  void anInvalidProgramFileIsRefusedWithEveryProblemNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(
        file,
        """
        {"teams": [
          {"id": "Bad Id", "name_ko": "x", "name_en": "x", "gpu_allocation": 8},
          {"id": "gone", "name_ko": "x", "name_en": "x", "gpu_allocation": 8, "status": "eliminated"},
          {"id": "gone", "name_ko": "x", "name_en": "x", "gpu_allocation": 8}
        ],
        "evaluation_rules": [
          {"phase": 1, "benchmark_points_nia": -1, "benchmark_points_global_common": 20,
           "benchmark_points_global_individual": 10, "expert_points": 35, "user_points": 25,
           "pass_threshold": 0, "closed_at": "yesterday"},
          {"phase": 2, "pass_threshold": 0, "categories": [
            {"id": "nia", "points": 20, "source": "catalogue", "benchmarks": ["nope"]},
            {"id": "nia", "points": 20, "source": "evaluation"},
            {"id": "Agentic", "points": 10, "source": "evaluation"},
            {"id": "expert", "points": 50, "source": "panel", "scoring": "curve"}
          ]}
        ]}
        """);
    assertThatThrownBy(() -> ProgramFile.load(file.toString()))
        .hasMessageContaining("team 'Bad Id': an id is lower-case letters")
        .hasMessageContaining("team 'gone': a team that left needs eliminated_in_phase")
        .hasMessageContaining("team 'gone' is listed twice")
        .hasMessageContaining("phase 1: points and threshold must be finite and not negative")
        .hasMessageContaining("phase 1: closed_at is not an ISO-8601 instant")
        .hasMessageContaining("phase 2: frontier_target_ratio is required")
        .hasMessageContaining("phase 2 category 'nia': benchmark 'nope' is not in the catalogue")
        .hasMessageContaining("phase 2 category 'nia' is listed twice")
        .hasMessageContaining("phase 2 category 'Agentic': an id is lower-case letters")
        .hasMessageContaining(
            "phase 2 category 'expert': source must be catalogue, team_benchmarks or evaluation")
        .hasMessageContaining("phase 2 category 'expert': scoring must be absolute or relative");
  }
}
