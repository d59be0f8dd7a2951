package kai.telemetry.streams.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import kai.telemetry.kpis.Alert;
import kai.telemetry.streams.fleet.FleetMerge;
import kai.telemetry.streams.fleet.FleetPartial;
import kai.telemetry.streams.fleet.GpuState;
import kai.telemetry.streams.training.EnrichedStep;
import kai.telemetry.streams.training.RunMinuteState;
import kai.telemetry.streams.training.RunState;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class InternalAvroSerdeTest {
  /** A run's state as the first versioned release wrote it to run-state-store's changelog. */
  static RunState runState() {
    return RunState.newBuilder()
        .setParameters(7_000_000_000L)
        .setLayers(32)
        .setHeads(32)
        .setHeadDim(128)
        .setSeqLen(4096)
        .setPlannedTokens(2_000_000_000_000L)
        .setGpuCount(256)
        .setGpuType("H100")
        .setEma(2.5)
        .setEmaN(1200)
        .setBaseline(2.41)
        .setBaselineN(1100)
        .setInterruptions(2)
        .setStartedMs(1_768_467_600_000L)
        .setProductiveMs(3_600_000L)
        .setLastStepTs(1_768_471_200_000L)
        .setMaxStep(1199)
        .setDown(false)
        .build();
  }

  @Test
  void everyStateTypeIsWrittenWithItsNewestKeptSchema() {
    for (Class<? extends org.apache.avro.specific.SpecificRecord> type :
        List.of(
            GpuState.class,
            FleetMerge.class,
            FleetPartial.class,
            EnrichedStep.class,
            RunMinuteState.class,
            RunState.class,
            Alert.class)) {
      InternalAvroSerde<?> serde = new InternalAvroSerde<>(type);
      assertThat(serde.version()).as(type.getSimpleName()).isPositive();
    }
  }

  @Test
  void aChangelogWrittenByTheFirstVersionedReleaseRestores() throws Exception {
    // The bytes are committed, not computed: whatever the schema becomes, these must still read.
    byte[] v1;
    try (var in = getClass().getResourceAsStream("/state-changelogs/run-state.v1.hex")) {
      v1 = HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
    }
    assertThat(v1[0]).isEqualTo((byte) 1);
    RunState restored =
        new InternalAvroSerde<>(RunState.class)
            .deserializer()
            .deserialize("kai-training-kpi-job-run-state-store-changelog", v1);
    assertThat(restored).isEqualTo(runState());
  }

  @Test
  void aValueWrittenWithAnOlderSchemaReadsIntoTodaysTypeWithItsDefaults() throws Exception {
    // An older RunState without the field "down" (added later, default false).
    Schema current = SpecificData.get().getSchema(RunState.class);
    Schema older =
        SchemaBuilder.record("RunState")
            .namespace("kai.telemetry.streams.training")
            .fields()
            .name("parameters")
            .type()
            .optional()
            .longType()
            .name("gpu_type")
            .type()
            .optional()
            .stringType()
            .name("max_step")
            .type()
            .longType()
            .longDefault(-1)
            .endRecord();
    GenericRecord old = new GenericData.Record(older);
    old.put("parameters", 70_000_000_000L);
    old.put("gpu_type", "H200");
    old.put("max_step", 41L);
    var out = new java.io.ByteArrayOutputStream();
    out.write(1);
    BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(older).write(old, e);
    e.flush();

    InternalAvroSerde<RunState> serde =
        new InternalAvroSerde<>(RunState.class, List.of(older, current));
    assertThat(serde.version()).isEqualTo(2);
    RunState read = serde.deserializer().deserialize("t", out.toByteArray());
    assertThat(read.getParameters()).isEqualTo(70_000_000_000L);
    assertThat(read.getGpuType()).isEqualTo("H200");
    assertThat(read.getMaxStep()).isEqualTo(41L);
    assertThat(read.getDown()).isFalse();
    assertThat(read.getLayers()).isNull();
    // And it writes as version 2, which it reads back.
    byte[] again = serde.serializer().serialize("t", read);
    assertThat(again[0]).isEqualTo((byte) 2);
    assertThat(serde.deserializer().deserialize("t", again)).isEqualTo(read);
  }

  @Test
  void stateFromANewerReleaseIsRefusedWithItsVersion() {
    byte[] bytes = new InternalAvroSerde<>(RunState.class).serializer().serialize("t", runState());
    bytes[0] = 9;
    assertThatThrownBy(
            () -> new InternalAvroSerde<>(RunState.class).deserializer().deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema version 9")
        .hasMessageContaining("reads versions 1 to 2");
  }

  @Test
  void aChangedSchemaWithoutANewKeptVersionCannotStart() {
    Schema older =
        SchemaBuilder.record("RunState")
            .namespace("kai.telemetry.streams.training")
            .fields()
            .name("max_step")
            .type()
            .longType()
            .longDefault(-1)
            .endRecord();
    assertThatThrownBy(() -> new InternalAvroSerde<>(RunState.class, List.of(older)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("state-schemas/RunState/v1.avsc")
        .hasMessageContaining("keep the new schema as v2.avsc");
    assertThat(Objects.requireNonNull(InternalAvroSerde.versions(RunState.class))).hasSize(2);
  }
}
