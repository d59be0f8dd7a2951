package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.EvaluationKind;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.events.Evaluator;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.program.PublishProgram;
import kai.telemetry.producers.program.SubmitEvaluations;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phase 1 as the ministry announced it, entered through the program office's commands alone, on the
 * real stack: the launch program, the phase's evaluations (LG AI Research's as published: 33.6
 * benchmark points of 40, 31.6 expert of 35, 25 user of 25; the other teams' totals are not public,
 * so theirs are values consistent with the published outcome), then the program after phase 1
 * (eliminations, phase closed). Then phase 2 opens with a team added, late phase-1 inputs arrive,
 * and phase 1 does not move.
 */
@ExtendWith(RealStackExtension.class)
class ProgramOfRecordIT {
  private final TestNamespace ns = TestNamespace.of(ProgramOfRecordIT.class);

  @Test
  void phaseOneReadsAsAnnouncedAndStaysSoWhenPhaseTwoOpens(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    try (PipelineRunner pipeline =
            PipelineRunner.start(
                stack,
                new PipelineRunner.Options(
                    ns.topicPrefix(),
                    ns.database(),
                    Duration.ofHours(1),
                    dir.resolve("state"),
                    0));
        ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Map<String, Object> office = pipeline.programOfficeSettings();
      office.put(PublishProgram.PROGRAM_FILE, "unused");
      office.put(SubmitEvaluations.FILE, "unused");
      AbstractConfig publish = new AbstractConfig(PublishProgram.DEF, office);
      AbstractConfig submit = new AbstractConfig(SubmitEvaluations.DEF, office);
      long now = System.currentTimeMillis();

      PublishProgram.run(publish, ProgramFile.load("launch-2025-09"), now);
      Path phase1 = dir.resolve("phase-1.csv");
      Files.writeString(
          phase1,
          """
          phase,team,kind,score,max_score,evaluator
          1,lg-ai-research,benchmark,33.6,40,nia
          1,lg-ai-research,expert,31.6,35,expert-panel
          1,lg-ai-research,user,25,25,public
          1,sk-telecom,benchmark,31,40,nia
          1,sk-telecom,expert,28,35,expert-panel
          1,sk-telecom,user,21,25,public
          1,upstage,benchmark,30,40,nia
          1,upstage,expert,27,35,expert-panel
          1,upstage,user,20,25,public
          1,naver-cloud,benchmark,32,40,nia
          1,naver-cloud,expert,29,35,expert-panel
          1,naver-cloud,user,22,25,public
          1,nc-ai,benchmark,22,40,nia
          1,nc-ai,expert,20,35,expert-panel
          1,nc-ai,user,12,25,public
          """);
      assertThat(SubmitEvaluations.run(submit, phase1, now + 10)).hasSize(15);
      // One official result before closing: phase 1's final standings keep it as it was.
      sendAsOffice(
          pipeline,
          topics.benchmarkResults.name(),
          "nc-ai",
          BenchmarkResult.newBuilder()
              .setTeam("nc-ai")
              .setModel("varco")
              .setBenchmark("kmmlu")
              .setMetric("acc,none")
              .setScore(0.6)
              .setEvaluator(Evaluator.OFFICIAL)
              .setTsMs(now + 15)
              .build());
      PublishProgram.Result closing =
          PublishProgram.run(publish, ProgramFile.load("after-phase-1-2026-01"), now + 20);
      assertThat(closing.changes())
          .containsExactlyInAnyOrder(
              "changed team naver-cloud", "changed team nc-ai", "changed rules of phase 1");

      String board = ns.database() + ".phase_scoreboard";
      Await.until(
          "the closed phase-1 board in ClickHouse",
          Duration.ofSeconds(90),
          () ->
              ch.count("SELECT count() FROM " + board + " FINAL WHERE phase = 1 AND closed = 1")
                  == 5);
      List<String> phaseOne = phaseOneRows(ch, board);
      assertThat(phaseOne.stream().map(r -> r.replaceFirst(" v[0-9]+$", "")).toList())
          .containsExactly(
              "lg-ai-research 33.6 31.6 25.0 90.2 rank 1 passed 1 published 1 reason ",
              "naver-cloud 32.0 29.0 22.0 83.0 rank 2 passed 0 published 1 reason DISQUALIFIED:"
                  + " originality rule: reused third-party encoder weights, not developed from"
                  + " scratch",
              "sk-telecom 31.0 28.0 21.0 80.0 rank 3 passed 1 published 1 reason ",
              "upstage 30.0 27.0 20.0 77.0 rank 4 passed 1 published 1 reason ",
              "nc-ai 22.0 20.0 12.0 54.0 rank 5 passed 0 published 1 reason BELOW_THRESHOLD: total"
                  + " below the phase-1 threshold");
      long phaseOneVersions =
          ch.count(
              "SELECT count() FROM "
                  + ns.database()
                  + ".phase_scoreboard_history"
                  + " WHERE phase = 1");
      assertThat(phaseOneVersions).isGreaterThanOrEqualTo(5);

      // Phase 2 opens with a team added; then a late phase-1 evaluation and official result, and
      // a change to phase 1's rules attempted straight on the topic.
      Path phase2File = dir.resolve("phase-2.json");
      String phase2 =
          new String(
                  ProgramOfRecordIT.class
                      .getResourceAsStream("/program/k-ai-after-phase-1-2026-01.json")
                      .readAllBytes(),
                  java.nio.charset.StandardCharsets.UTF_8)
              .replace(
                  "  ],\n  \"benchmarks\"",
                  "    ,{\"id\": \"added-team\", \"name_ko\": \"추가팀\", \"name_en\": \"Added team\","
                      + " \"gpu_allocation\": 768, \"gpu_type\": \"B200\", \"status\": \"active\","
                      + " \"joined_phase\": 2}\n  ],\n  \"benchmarks\"")
              .replace(
                  "\"closed_at\": \"2026-01-15T00:00:00Z\"}",
                  "\"closed_at\": \"2026-01-15T00:00:00Z\"},\n    {\"phase\": 2,"
                      + " \"pass_threshold\": 0, \"teams_advancing\": 2,"
                      + " \"frontier_target_ratio\": 0.95, \"categories\": ["
                      + " {\"id\": \"nia\", \"points\": 10, \"source\": \"catalogue\"},"
                      + " {\"id\": \"global_common\", \"points\": 20, \"source\": \"catalogue\"},"
                      + " {\"id\": \"agentic\", \"points\": 10, \"source\": \"evaluation\"},"
                      + " {\"id\": \"expert\", \"points\": 35, \"source\": \"evaluation\"},"
                      + " {\"id\": \"user\", \"points\": 25, \"source\": \"evaluation\","
                      + " \"scoring\": \"relative\"}]}");
      Files.writeString(phase2File, phase2);
      assertThat(
              PublishProgram.run(publish, ProgramFile.load(phase2File.toString()), now + 30)
                  .changes())
          .containsExactlyInAnyOrder("added team added-team", "added rules of phase 2");
      sendAsOffice(
          pipeline,
          topics.evaluationScores.name(),
          "upstage",
          EvaluationScore.newBuilder()
              .setTeam("upstage")
              .setPhase(1)
              .setKind(EvaluationKind.EXPERT)
              .setScore(35)
              .setMaxScore(35)
              .setTsMs(now + 40)
              .build());
      sendAsOffice(
          pipeline,
          topics.benchmarkResults.name(),
          "nc-ai",
          BenchmarkResult.newBuilder()
              .setTeam("nc-ai")
              .setModel("late")
              .setBenchmark("kmmlu")
              .setMetric("acc,none")
              .setScore(0.8)
              .setEvaluator(Evaluator.OFFICIAL)
              .setTsMs(now + 40)
              .build());
      Path phase2Scores = dir.resolve("phase-2.csv");
      Files.writeString(
          phase2Scores,
          "phase,team,category,score,max_score,evaluator\n"
              + "2,added-team,expert,30,35,expert-panel\n"
              + "2,added-team,agentic,8,10,agent-panel\n");
      SubmitEvaluations.run(submit, phase2Scores, now + 50);

      Await.until(
          "the added team's phase-2 expert and agentic points",
          Duration.ofSeconds(90),
          () ->
              ch.count(
                      "SELECT count() FROM "
                          + ns.database()
                          + ".v_phase_scoreboard WHERE phase = 2 AND team = 'added-team'"
                          + " AND expert_points = 30 AND category_points[3] = 8")
                  == 1);
      assertThat(
              ch.count(
                  "SELECT count() FROM "
                      + board
                      + " FINAL WHERE phase = 1 AND team ="
                      + " 'added-team'"))
          .as("the added team is not on phase 1's board")
          .isZero();
      assertThat(ch.count("SELECT count() FROM " + board + " FINAL WHERE phase = 2"))
          .as("phase 2: the three teams that advanced and the added one")
          .isEqualTo(4);
      assertThat(phaseOneRows(ch, board)).as("phase 1 did not move").isEqualTo(phaseOne);
      // Phase 2 added a category; its points land per category.
      assertThat(
              ch.execute(
                  "SELECT categories, category_points, category_max_points FROM "
                      + ns.database()
                      + ".v_phase_scoreboard WHERE phase = 2 AND team = 'added-team'"
                      + " FORMAT TabSeparated"))
          .isEqualTo(
              "['nia','global_common','agentic','expert','user']\t[0,0,8,30,0]\t[10,20,10,35,25]\n");
      // The late result moved the live standings, not phase 1's final ones.
      Await.until(
          "the late result in the live standings",
          Duration.ofSeconds(60),
          () ->
              ch.count(
                      "SELECT count() FROM "
                          + ns.database()
                          + ".benchmark_standings FINAL WHERE team = 'nc-ai' AND score = 0.8")
                  == 1);
      assertThat(
              ch.execute(
                  "SELECT phase, team, benchmark, score FROM "
                      + ns.database()
                      + ".v_phase_standings FORMAT TabSeparated"))
          .isEqualTo("1\tnc-ai\tkmmlu\t0.6\n");
      assertThat(
              ch.count(
                  "SELECT count() FROM "
                      + ns.database()
                      + ".phase_scoreboard_history WHERE phase = 1"))
          .as("not one new phase-1 version")
          .isEqualTo(phaseOneVersions);
    }
  }

  private static List<String> phaseOneRows(ClickHouseHttp ch, String board) {
    return ch
        .rows(
            "SELECT team, benchmark_points, expert_points, user_points, total, rank, passed,"
                + " benchmark_points_published, status_reason, version FROM "
                + board
                + " FINAL WHERE phase = 1 ORDER BY rank, team")
        .stream()
        .map(ProgramOfRecordIT::row)
        .toList();
  }

  private static String row(JsonNode r) {
    return String.format(
        java.util.Locale.ROOT,
        "%s %.1f %.1f %.1f %.1f rank %d passed %d published %d reason %s v%d",
        r.get("team").asText(),
        r.get("benchmark_points").asDouble(),
        r.get("expert_points").asDouble(),
        r.get("user_points").asDouble(),
        r.get("total").asDouble(),
        r.get("rank").asInt(),
        r.get("passed").asInt(),
        r.get("benchmark_points_published").asInt(),
        r.get("status_reason").isNull() ? "" : r.get("status_reason").asText(),
        r.get("version").asLong());
  }

  private static void sendAsOffice(
      PipelineRunner pipeline, String topic, String key, SpecificRecord value) {
    Map<String, Object> office = pipeline.programOfficeSettings();
    AbstractConfig config = new AbstractConfig(PublishProgram.DEF, withFile(office));
    try (AvroSerializer<SpecificRecord> avro = new AvroSerializer<>();
        KafkaProducer<String, SpecificRecord> producer =
            new KafkaProducer<>(
                kai.telemetry.config.KafkaClients.of(config).producer("late-input"),
                new StringSerializer(),
                avro)) {
      avro.configure(CommonSettings.serdeConfig(config), false);
      producer.send(new ProducerRecord<>(topic, key, value));
      producer.flush();
    }
  }

  private static Map<String, Object> withFile(Map<String, Object> settings) {
    settings.put(PublishProgram.PROGRAM_FILE, "unused");
    return settings;
  }
}
