package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kai.telemetry.devtools.Distribution.Deployable;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team records its run's life with {@code kai run-event} as its launcher would (a start with its
 * spec and a third-party encoder, a checkpoint hashed from its files, an interruption, the end);
 * the whole pipeline lands it; {@code kai verify-run-chain} finds the chain intact from Kafka and
 * from ClickHouse, and names the event when a row is changed in ClickHouse. The program office's
 * provenance view lists the run as building on others' weights. Then the simulator plays the teams,
 * one of them claiming three times what its GPUs can compute: that team's run, and only it, raises
 * IMPLAUSIBLE_COMPUTE with its numbers.
 */
@ExtendWith(RealStackExtension.class)
class ClaimsIntegrityIT {
  private final TestNamespace ns = TestNamespace.of(ClaimsIntegrityIT.class);

  @Test
  void aTeamsRunRecordIsChainedLandsAndAnyChangeIsNamed(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Distribution dist = Distribution.locate();
    try (PipelineRunner pipeline =
        PipelineRunner.start(
            stack,
            new PipelineRunner.Options(
                ns.topicPrefix(), ns.database(), Duration.ofHours(1), dir.resolve("state"), 0))) {
      List<String> team = args(pipeline.teamSettings("upstage"));
      team.add("collector.team=upstage");
      team.add("run.id=solar-pt-9");
      Path declaration = dir.resolve("declare.json");
      Files.writeString(
          declaration,
          """
          {"spec": {"model_name": "solar-10b", "parameters": 10000000000, "layers": 48,
                    "heads": 32, "head_dim": 128, "seq_len": 4096,
                    "planned_tokens": 2000000000000, "gpu_count": 256, "gpu_type": "H100"},
           "provenance": {"init": "scratch", "tokenizer": "solar-tok-v3",
                          "data_mixture_id": "mix-2026-02",
                          "components": [{"name": "vision-encoder", "source": "hf:org/siglip",
                                          "license": "Apache-2.0",
                                          "hash": "sha256:%s"}]}}
          """
              .formatted("e".repeat(64)));
      Path checkpoint = dir.resolve("ckpt");
      Files.createDirectories(checkpoint.resolve("shards"));
      Files.writeString(checkpoint.resolve("shards/0.bin"), "weights-0");
      Files.writeString(checkpoint.resolve("config.json"), "{}");
      long t0 = System.currentTimeMillis() - 600_000;
      record("STARTED", t0, team, dir, List.of("run.declaration=" + declaration));
      String saved =
          record(
              "CHECKPOINT_SAVED",
              t0 + 60_000,
              team,
              dir,
              List.of("run.step=1000", "run.checkpoint.path=" + checkpoint));
      assertThat(saved)
          .matches(
              "(?s).*CHECKPOINT_SAVED of upstage/solar-pt-9 recorded \\(sha256:[0-9a-f]{64}\\), after sha256:.*");
      record("INTERRUPTED", t0 + 120_000, team, dir, List.of("run.step=1500", "run.reason=xid-79"));
      record("FINISHED", t0 + 180_000, team, dir, List.of("run.step=2000"));

      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        String table = ns.database() + ".run_lifecycle";
        Await.until(
            "the run's four events in " + table,
            Duration.ofSeconds(60),
            () -> ch.count("SELECT count() FROM " + table + " WHERE run_id = 'solar-pt-9'") == 4);

        List<String> verify = new ArrayList<>(args(pipeline.programOfficeSettings()));
        verify.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
        verify.add(SinkConfig.CLICKHOUSE_DATABASE + "=" + ns.database());
        verify.add("chain.team=upstage");
        verify.add("chain.run=solar-pt-9");
        for (String source : List.of("kafka", "clickhouse")) {
          List<String> a = new ArrayList<>(verify);
          a.add("chain.source=" + source);
          try (Deployable v = dist.start("verify-run-chain", a, dir.resolve("verify-" + source))) {
            assertThat(v.awaitExit(Duration.ofSeconds(60))).as(v.logText()).isZero();
            assertThat(v.logText())
                .contains("intact upstage/solar-pt-9: 4 events")
                .contains("1 runs, 4 events from " + source + ": 1 intact, 0 broken");
          }
        }

        // Someone with write access moves the interruption to a later step in the table.
        List<String> columns = new ArrayList<>(kai.telemetry.schemas.RunChain.FIELDS);
        columns.add("event_hash");
        ch.execute(
            "INSERT INTO "
                + table
                + " ("
                + String.join(", ", columns)
                + ") SELECT "
                + String.join(", ", columns).replace("step,", "toNullable(toInt64(1900)),")
                + " FROM "
                + table
                + " WHERE run_id = 'solar-pt-9' AND kind = 'INTERRUPTED'");
        List<String> a = new ArrayList<>(verify);
        a.add("chain.source=clickhouse");
        try (Deployable v = dist.start("verify-run-chain", a, dir.resolve("verify-tampered"))) {
          assertThat(v.awaitExit(Duration.ofSeconds(60))).as(v.logText()).isEqualTo(1);
          assertThat(v.logText())
              .contains(
                  "BROKEN upstage/solar-pt-9: event #3 (INTERRUPTED at ts_ms "
                      + (t0 + 120_000)
                      + ", step 1900) was changed: its content does not match its hash");
        }

        List<JsonNode> provenance =
            ch.rows(
                "SELECT phase, init, third_party_components, builds_on_others, model_name FROM "
                    + ns.database()
                    + ".v_run_provenance WHERE run_id = 'solar-pt-9'");
        assertThat(provenance).hasSize(1);
        assertThat(provenance.get(0).get("phase").asInt()).isEqualTo(1);
        assertThat(provenance.get(0).get("init").asText()).isEqualTo("scratch");
        assertThat(provenance.get(0).get("third_party_components").asInt()).isEqualTo(1);
        assertThat(provenance.get(0).get("builds_on_others").asInt()).isEqualTo(1);
        assertThat(provenance.get(0).get("model_name").asText()).isEqualTo("solar-10b");

        Map<String, Object> sim = pipeline.simulatorSettings();
        sim.put(kai.telemetry.producers.simulator.SimulatorConfig.GPUS_PER_TEAM, 2);
        sim.put(kai.telemetry.producers.simulator.SimulatorConfig.INTERVAL_MS, 10_000L);
        sim.put(kai.telemetry.producers.simulator.SimulatorConfig.OVERCLAIM_TEAMS, "nc-ai");
        try (var simulator =
            new kai.telemetry.producers.simulator.ProgramSimulator(
                new kai.telemetry.producers.simulator.SimulatorConfig(sim))) {
          simulator.backfill(System.currentTimeMillis() - 300_000, 30);
        }
        String alerts = ns.database() + ".alerts";
        Await.until(
            "an IMPLAUSIBLE_COMPUTE alert for nc-ai",
            Duration.ofSeconds(90),
            () ->
                ch.count(
                        "SELECT count() FROM "
                            + alerts
                            + " FINAL WHERE kind = 'IMPLAUSIBLE_COMPUTE' AND team = 'nc-ai'")
                    == 1);
        // Every team's run minutes are in by now: the honest ones raised nothing.
        Await.until(
            "run minutes of all five teams",
            Duration.ofSeconds(60),
            () -> ch.count("SELECT uniqExact(team) FROM " + ns.database() + ".run_1m FINAL") == 5);
        assertThat(
                ch.rows(
                    "SELECT team, message FROM "
                        + alerts
                        + " FINAL WHERE kind IN ('IMPLAUSIBLE_COMPUTE', 'UNKNOWN_GPU_MODEL')"))
            .extracting(r -> r.get("team").asText())
            .containsExactly("nc-ai");
        assertThat(
                ch.rows(
                        "SELECT message FROM "
                            + alerts
                            + " FINAL WHERE kind = 'IMPLAUSIBLE_COMPUTE'")
                    .get(0)
                    .get("message")
                    .asText())
            .matches(
                "implied MFU 1\\.\\d{3} above the ceiling 1\\.00 at step \\d+: \\d+ tokens/s claimed,"
                    + " at most \\d+ tokens/s on the declared GPUs at that ceiling");
      }
    }
  }

  /** {@code kai run-event} as the team; returns its console. */
  private static String record(
      String event, long ts, List<String> team, Path dir, List<String> more) throws Exception {
    List<String> a = new ArrayList<>(team);
    a.add("run.event=" + event);
    a.add("run.time=" + java.time.Instant.ofEpochMilli(ts));
    a.addAll(more);
    try (Deployable d =
        Distribution.locate().start("run-event", a, dir.resolve("run-event-" + event))) {
      assertThat(d.awaitExit(Duration.ofSeconds(60))).as(d.logText()).isZero();
      assertThat(d.logText()).contains("run-event: " + event + " of upstage/solar-pt-9 recorded");
      return d.logText();
    }
  }

  private static List<String> args(Map<String, Object> settings) {
    List<String> out = new ArrayList<>();
    settings.forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }
}
