package kai.telemetry.sinks.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.RunChain;
import kai.telemetry.schemas.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code kai verify-run-chain}: recomputes every run's chain of lifecycle events (RunChain) from
 * ClickHouse ({@code run_lifecycle}) or from the attributed Kafka topic, and reports each run
 * intact, broken (with the first bad event and why) or unchained (recorded before chains). Exit
 * status 1 when a chain is broken or no run was found.
 */
public final class RunChainVerifier {
  public static final String SOURCE = "chain.source";
  public static final String TEAM = "chain.team";
  public static final String RUN = "chain.run";

  static final ConfigDef DEF =
      new ConfigDef(SinkConfig.DEF)
          .define(
              SOURCE,
              Type.STRING,
              "clickhouse",
              ConfigDef.ValidString.in("clickhouse", "kafka"),
              Importance.HIGH,
              "Where the events are read: the run_lifecycle table, or the raw run-lifecycle topic"
                  + " (read from its start, as a consumer without a group).")
          .define(TEAM, Type.STRING, "", Importance.MEDIUM, "Only this team's runs (empty: all).")
          .define(RUN, Type.STRING, "", Importance.MEDIUM, "Only runs with this id (empty: all).");

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The outcome for one run: its events, the first break, and how many of its first events were
   * recorded before chains (without hashes).
   */
  public record RunResult(
      String run, int events, Optional<RunChain.Break> broken, int unchainedBefore) {
    /** Whether any of its events carries a hash. */
    boolean chained() {
      return unchainedBefore < events;
    }
  }

  private RunChainVerifier() {}

  /** Verifies each run of {@code runs} (its events in recorded order). */
  public static List<RunResult> verify(Map<String, List<Map<String, String>>> runs) {
    List<RunResult> out = new ArrayList<>();
    runs.forEach(
        (run, events) -> {
          List<Map<String, String>> inOrder = ordered(events);
          int before = 0; // events recorded before chains, passed over by RunChain.verify
          while (before < inOrder.size() && inOrder.get(before).get("event_hash") == null) {
            before++;
          }
          out.add(new RunResult(run, events.size(), RunChain.verify(inOrder), before));
        });
    return out;
  }

  /**
   * Events by time; events at the same millisecond in the order their chain links them (the table
   * has no other order for them).
   */
  static List<Map<String, String>> ordered(List<Map<String, String>> events) {
    List<Map<String, String>> byTime = new ArrayList<>(events);
    byTime.sort(java.util.Comparator.comparingLong(e -> Long.parseLong(e.get("ts_ms"))));
    List<Map<String, String>> out = new ArrayList<>();
    int i = 0;
    while (i < byTime.size()) {
      int j = i;
      while (j < byTime.size() && byTime.get(j).get("ts_ms").equals(byTime.get(i).get("ts_ms"))) {
        j++;
      }
      List<Map<String, String>> tie = new ArrayList<>(byTime.subList(i, j));
      while (!tie.isEmpty()) {
        String head = out.isEmpty() ? null : out.get(out.size() - 1).get("event_hash");
        Map<String, String> next =
            tie.stream()
                .filter(e -> java.util.Objects.equals(e.get("prev_hash"), head))
                .findFirst()
                .orElse(tie.get(0));
        tie.remove(next);
        out.add(next);
      }
      i = j;
    }
    return out;
  }

  /** Each run's events from the table, by team/run. */
  public static Map<String, List<Map<String, String>>> fromClickHouse(
      ClickHouseHttp ch, String database, String team, String run) {
    StringBuilder where = new StringBuilder(" WHERE 1");
    if (!team.isEmpty()) {
      where.append(" AND team = ").append(TrainingCurves.literal(team));
    }
    if (!run.isEmpty()) {
      where.append(" AND run_id = ").append(TrainingCurves.literal(run));
    }
    List<String> columns = new ArrayList<>(RunChain.FIELDS);
    columns.add("event_hash");
    Map<String, List<Map<String, String>>> runs = new LinkedHashMap<>();
    for (JsonNode row :
        ch.rows(
            "SELECT "
                + String.join(", ", columns)
                + " FROM "
                + Tables.qualified(database, Tables.RUN_LIFECYCLE)
                + " FINAL"
                + where
                + " ORDER BY team, run_id, ts_ms")) {
      Map<String, String> f = new LinkedHashMap<>();
      for (String c : columns) {
        JsonNode v = row.get(c);
        f.put(c, v == null || v.isNull() ? null : v.asText());
      }
      f.put("provenance_components", components(f.get("provenance_components")));
      runs.computeIfAbsent(Keys.of(f.get("team"), f.get("run_id")), k -> new ArrayList<>()).add(f);
    }
    return runs;
  }

  /** The sink's JSON array of components in the chain's canonical form. */
  static String components(String json) {
    if (json == null) {
      return null;
    }
    if (json.isBlank()) {
      return RunChain.components(List.of()); // the sink lands an empty array as ''
    }
    try {
      List<List<String>> out = new ArrayList<>();
      for (JsonNode c : JSON.readTree(json)) {
        out.add(
            List.of(
                c.path("name").asText(),
                c.path("source").asText(),
                c.path("license").asText(),
                c.path("hash").asText()));
      }
      return RunChain.components(out);
    } catch (java.io.IOException e) {
      return "unreadable: " + json; // breaks the chain at this event, as it should
    }
  }

  /** Each run's events from the attributed topic, in offset order. */
  public static Map<String, List<Map<String, String>>> fromKafka(
      SinkConfig config, String team, String run) {
    Topic<String, RunLifecycle> topic = config.topics().runLifecycle;
    Map<String, Object> consumer =
        kai.telemetry.config.KafkaClients.of(config)
            .consumer("kai-verify-run-chain", null, Map.of());
    Map<String, List<Map<String, String>>> runs = new LinkedHashMap<>();
    try (KafkaConsumer<String, RunLifecycle> c =
        new KafkaConsumer<>(
            consumer,
            new StringDeserializer(),
            topic.valueSerde(config.serdeConfig()).deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic.name())
          .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
        for (ConsumerRecord<String, RunLifecycle> r : c.poll(Duration.ofMillis(500))) {
          RunLifecycle e = r.value();
          if (e == null
              || (!team.isEmpty() && !team.equals(e.getTeam()))
              || (!run.isEmpty() && !run.equals(e.getRunId()))) {
            continue;
          }
          Map<String, String> f = new LinkedHashMap<>(RunChain.fields(e));
          f.put("event_hash", e.getEventHash());
          runs.computeIfAbsent(Keys.of(e.getTeam(), e.getRunId()), k -> new ArrayList<>()).add(f);
        }
      }
    }
    return runs;
  }

  public static void main(String[] args) {
    int status;
    try {
      Map<String, Object> values = ConfigLoader.load(DEF, args, System.getenv());
      AbstractConfig chain = new AbstractConfig(DEF, values, false);
      SinkConfig config = new SinkConfig(values);
      String source = chain.getString(SOURCE);
      String team = chain.getString(TEAM);
      String run = chain.getString(RUN);
      Map<String, List<Map<String, String>>> runs;
      if (source.equals("kafka")) {
        runs = fromKafka(config, team, run);
      } else {
        try (ClickHouseHttp ch =
            new ClickHouseHttp(
                config.getString(SinkConfig.CLICKHOUSE_HTTP_URL),
                config.getString(SinkConfig.CLICKHOUSE_USER),
                config.getPassword(SinkConfig.CLICKHOUSE_PASSWORD).value())) {
          runs = fromClickHouse(ch, config.database(), team, run);
        }
      }
      status = report(verify(runs), source);
    } catch (RuntimeException e) {
      System.err.println("verify-run-chain failed: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }

  /** Prints one line per run and a summary; returns the exit status. */
  static int report(List<RunResult> results, String source) {
    int events = 0;
    int broken = 0;
    int unchained = 0;
    for (RunResult r : results) {
      events += r.events();
      if (!r.chained()) {
        unchained++;
        System.out.println("unchained " + r.run() + ": " + r.events() + " events without hashes");
      } else if (r.broken().isPresent()) {
        broken++;
        System.out.println("BROKEN " + r.run() + ": " + r.broken().get().problem());
      } else {
        System.out.println(
            "intact "
                + r.run()
                + ": "
                + r.events()
                + " events"
                + (r.unchainedBefore() > 0
                    ? " (the first " + r.unchainedBefore() + " recorded before run chains)"
                    : ""));
      }
    }
    System.out.println(
        "verify-run-chain: "
            + results.size()
            + " runs, "
            + events
            + " events from "
            + source
            + ": "
            + (results.size() - broken - unchained)
            + " intact, "
            + broken
            + " broken, "
            + unchained
            + " unchained (recorded before run chains)");
    if (results.isEmpty()) {
      System.err.println("verify-run-chain: no run found");
    }
    return broken > 0 || results.isEmpty() ? 1 : 0;
  }
}
