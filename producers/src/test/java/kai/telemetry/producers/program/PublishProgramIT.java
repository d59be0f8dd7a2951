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
           "pass_threshold": 0, "closed_at": "yesterday"}
        ]}
        """);
    assertThatThrownBy(() -> ProgramFile.load(file.toString()))
        .hasMessageContaining("team 'Bad Id': an id is lower-case letters")
        .hasMessageContaining("team 'gone': a team that left needs eliminated_in_phase")
        .hasMessageContaining("team 'gone' is listed twice")
        .hasMessageContaining("phase 1: points and threshold must be finite and not negative")
        .hasMessageContaining("phase 1: closed_at is not an ISO-8601 instant");
  }
}
