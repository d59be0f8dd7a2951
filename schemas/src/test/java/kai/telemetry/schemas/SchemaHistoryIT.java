package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.registry.SchemaRegistryClient;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every released version of a schema is kept under schema-history/; the current one must register
 * after all of them on the real registry under its BACKWARD rule, and every schema the catalogue
 * uses must register at all.
 */
@ExtendWith(RealStackExtension.class)
class SchemaHistoryIT {
  private final TestNamespace ns = TestNamespace.of(SchemaHistoryIT.class);

  /** Released versions, oldest first, of each evolved schema. */
  private static final Map<Class<?>, List<String>> HISTORY =
      Map.of(
          GpuSample.class,
          List.of("gpu_sample/v1.avsc", "gpu_sample/v2.avsc"),
          kai.telemetry.kpis.TeamFleetMinute.class,
          List.of("team_fleet_minute/v1.avsc", "team_fleet_minute/v2.avsc"),
          kai.telemetry.kpis.Alert.class,
          List.of("alert/v1.avsc"),
          kai.telemetry.reference.TeamInfo.class,
          List.of("team_info/v1.avsc", "team_info/v2.avsc"),
          kai.telemetry.reference.EvaluationRules.class,
          List.of("evaluation_rules/v1.avsc", "evaluation_rules/v2.avsc"),
          kai.telemetry.kpis.PhaseScoreboard.class,
          List.of("phase_scoreboard/v1.avsc", "phase_scoreboard/v2.avsc"),
          kai.telemetry.events.EvaluationScore.class,
          List.of("evaluation_score/v1.avsc", "evaluation_score/v2.avsc"),
          kai.telemetry.events.DerivativeModel.class,
          List.of("derivative_model/v1.avsc"),
          kai.telemetry.events.BenchmarkResult.class,
          List.of("benchmark_result/v1.avsc"));

  @Test
  void currentSchemasAreBackwardCompatibleWithEveryReleasedVersion(LocalStack stack)
      throws IOException {
    SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    for (Map.Entry<Class<?>, List<String>> e : HISTORY.entrySet()) {
      String subject = ns.topicPrefix() + e.getKey().getSimpleName() + "-value";
      int previousId = -1;
      for (String version : e.getValue()) {
        Schema old = parse(version);
        int id = registry.register(subject, old);
        assertThat(id).isNotEqualTo(previousId);
        previousId = id;
      }
      Schema current = SpecificData.get().getSchema(e.getKey());
      assertThat(registry.isCompatible(subject, current))
          .as("%s is BACKWARD compatible with its history", e.getKey().getSimpleName())
          .isTrue();
      assertThat(registry.register(subject, current)).isNotEqualTo(previousId);
    }
  }

  @Test
  void everyCatalogueSchemaRegisters(LocalStack stack) {
    SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    int avroTopics = 0;
    for (Topic<?, ?> t : topics.all()) {
      if (t.valueAvroType().isPresent()) {
        Schema schema = SpecificData.get().getSchema(t.valueAvroType().get());
        assertThat(registry.register(t.name() + "-value", schema)).isPositive();
        avroTopics++;
      }
    }
    assertThat(avroTopics).isEqualTo(18); // the 21 topics less the three of raw bytes
  }

  private static Schema parse(String resource) throws IOException {
    try (InputStream in =
        SchemaHistoryIT.class.getResourceAsStream("/schema-history/" + resource)) {
      assertThat(in).as("history file %s", resource).isNotNull();
      return new Schema.Parser().parse(in);
    }
  }
}
