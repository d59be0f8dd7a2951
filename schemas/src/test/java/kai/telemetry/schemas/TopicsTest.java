package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import kai.telemetry.schemas.registry.AvroDeserializer;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void namesAreUniqueAndCarryThePrefix() {
    Topics topics = Topics.withPrefix("staging.");
    assertThat(topics.all()).extracting(Topic::name).doesNotHaveDuplicates();
    assertThat(topics.all()).allSatisfy(t -> assertThat(t.name()).startsWith("staging.kai."));
    assertThat(Topics.defaults().gpuSamples.name()).isEqualTo("kai.raw.gpu-samples.v1");
  }

  @Test
  void aTeamsIntakeLivesUnderItsOwnPrefixWhichNoOtherTeamsPrefixCovers() {
    Topics topics = Topics.withPrefix("staging.");
    TeamTopics a = topics.team("lg-ai");
    assertThat(a.prefix()).isEqualTo("staging.kai.team.lg-ai.");
    assertThat(a.all()).allSatisfy(t -> assertThat(t.name()).startsWith(a.prefix()));
    assertThat(a.all()).extracting(Topic::name).doesNotHaveDuplicates();
    // Team ids hold no dot, so one team's prefix never covers another's topics.
    assertThat(topics.team("lg-ai-research").gpuSamples.name()).doesNotStartWith(a.prefix());
    assertThatThrownBy(() -> topics.team("lg.ai")).hasMessageContaining("names topics");
    assertThatThrownBy(() -> topics.team("")).hasMessageContaining("names topics");
  }

  @Test
  void theIntakePatternMatchesEveryTeamsIntakeAndNothingElse() {
    Topics topics = Topics.withPrefix("staging.");
    TeamTopics a = topics.team("upstage");
    assertThat(topics.intake(a.gpuSamples.name()))
        .contains(new Topics.Intake("upstage", a.gpuSamples.name(), topics.gpuSamples));
    assertThat(topics.intake(a.trainingSteps.name()).orElseThrow().attributed())
        .isEqualTo(topics.trainingSteps);
    assertThat(topics.intake(a.runLifecycle.name()).orElseThrow().attributed())
        .isEqualTo(topics.runLifecycle);
    assertThat(topics.intake(a.benchmarkResults.name()).orElseThrow().attributed())
        .isEqualTo(topics.benchmarkResults);
    assertThat(topics.intake(a.collectorRejects.name()).orElseThrow().attributed())
        .isEqualTo(topics.collectorRejects);
    // Positions stay with the team; other namespaces, attributed topics and look-alikes do not
    // match.
    assertThat(topics.intake(a.collectorPositions.name())).isEmpty();
    assertThat(topics.intake(Topics.defaults().team("upstage").gpuSamples.name())).isEmpty();
    for (Topic<?, ?> t : topics.all()) {
      assertThat(topics.intake(t.name())).as(t.name()).isEmpty();
    }
    assertThat(topics.intake("staging.kai.team.UP.gpu-samples.v1")).isEmpty();
    assertThat(topics.intake("staging.kai.team.a.b.gpu-samples.v1")).isEmpty();
    assertThat(topics.intake("staging.kai.team.upstage.gpu-samples.v1x")).isEmpty();
    assertThat(topics.intake("staging.kai.team.upstage.gpu-samplesXv1")).isEmpty();
  }

  @Test
  void rejectsAPrefixKafkaCannotName() {
    assertThatThrownBy(() -> Topics.withPrefix("bad prefix/"))
        .hasMessageContaining("may only contain letters, digits");
  }

  @Test
  void avroSerdeWithoutRegistryUrlSaysWhatIsMissing() {
    assertThatThrownBy(() -> Topics.defaults().gpuSamples.valueSerde(Map.of()))
        .hasMessageContaining("schema.registry.url must be set");
  }

  @Test
  void deserializerRejectsBytesNotInTheWireFormat() {
    var d =
        new AvroDeserializer<>(
            kai.telemetry.events.GpuSample.class,
            new kai.telemetry.schemas.registry.SchemaRegistryClient("http://127.0.0.1:1"));
    assertThatThrownBy(() -> d.deserialize("t", new byte[] {'{', '"', 'a', '"', '}'}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not in the registry wire format")
        .hasMessageContaining("first byte 123");
  }
}
