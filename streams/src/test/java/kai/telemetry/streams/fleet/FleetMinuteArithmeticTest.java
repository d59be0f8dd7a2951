package kai.telemetry.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The fleet job's arithmetic, alone: shares, sums, histograms and the percentile. */
class FleetMinuteArithmeticTest {
  @Test
  void addingASampleToACountedMinuteEqualsRemovingItAndAddingItBack() {
    java.util.Random random = new java.util.Random(11);
    String key = "t@c@0";
    TeamFleetState incremental = TeamFleetState.newBuilder().build();
    TeamFleetState viaPlus = TeamFleetState.newBuilder().build();
    GpuMinuteState other = FleetMinuteArithmetic.emptyMinute(0);
    for (int i = 0; i < 3; i++) { // another GPU in the share
      FleetMinuteArithmetic.addSample(other, fleetSample(random), null);
    }
    FleetMinuteArithmetic.plus(key, incremental, other, 1);
    FleetMinuteArithmetic.plus(key, viaPlus, other, 1);
    GpuMinuteState g = FleetMinuteArithmetic.emptyMinute(0);
    FleetSample idle = fleetSample(random);
    idle.setUtilizationPct(1.0); // g starts idle, so a busier sample later ends that
    FleetMinuteArithmetic.addSample(g, idle, null);
    FleetMinuteArithmetic.plus(key, incremental, g, 1);
    FleetMinuteArithmetic.plus(key, viaPlus, g, 1);
    boolean sawIdle = incremental.getIdleGpus() > 0;
    boolean sawXid = false;
    for (int i = 0; i < 40; i++) {
      GpuMinuteState before = GpuMinuteState.newBuilder(g).build(); // a deep copy
      FleetMinuteArithmetic.addSample(g, fleetSample(random), incremental);
      FleetMinuteArithmetic.plus(key, viaPlus, before, -1);
      FleetMinuteArithmetic.plus(key, viaPlus, g, 1);
      assertThat(g.getSamples()).isEqualTo(before.getSamples() + 1);
      assertThat(FleetMinuteArithmetic.utilSamples(incremental.getHistCounts()))
          .isEqualTo(FleetMinuteArithmetic.utilSamples(viaPlus.getHistCounts()));
      sawIdle |= incremental.getIdleGpus() > 0;
      sawXid |= incremental.getXidGpus() > 0;
      assertThat(incremental.getSamples()).isEqualTo(viaPlus.getSamples());
      assertThat(incremental.getHistBuckets()).isEqualTo(viaPlus.getHistBuckets());
      assertThat(incremental.getHistCounts()).isEqualTo(viaPlus.getHistCounts());
      assertThat(incremental.getIdleGpus()).isEqualTo(viaPlus.getIdleGpus());
      assertThat(incremental.getPowerGpus()).isEqualTo(viaPlus.getPowerGpus());
      assertThat(incremental.getXidGpus()).isEqualTo(viaPlus.getXidGpus());
      assertThat(incremental.getEnergyMj()).isEqualTo(viaPlus.getEnergyMj());
      assertThat(incremental.getSmN()).isEqualTo(viaPlus.getSmN());
      assertThat(incremental.getUtilSum()).isCloseTo(viaPlus.getUtilSum(), within(1e-9));
      assertThat(incremental.getPowerW()).isCloseTo(viaPlus.getPowerW(), within(1e-9));
      assertThat(incremental.getSmSum()).isCloseTo(viaPlus.getSmSum(), within(1e-9));
      assertThat(incremental.getTensorN()).isEqualTo(viaPlus.getTensorN());
      assertThat(incremental.getTensorSum()).isCloseTo(viaPlus.getTensorSum(), within(1e-9));
    }
    assertThat(sawIdle).isTrue(); // the data crossed the idle line and raised an XID
    assertThat(g.getUtilMax()).isGreaterThan(FleetMinuteArithmetic.IDLE_BELOW_PCT);
    assertThat(sawXid).isTrue();
  }

  @Test
  void addingSharesMergesTheirHistogramsBucketByBucket() {
    java.util.Random random = new java.util.Random(5);
    TeamFleetState sum = FleetMinuteArithmetic.emptyShareOf("t", "*", 0);
    java.util.TreeMap<Integer, Integer> expected = new java.util.TreeMap<>();
    for (int share = 0; share < 6; share++) {
      TeamFleetState s = FleetMinuteArithmetic.emptyShareOf("t", "c" + share, 0);
      for (int i = 0; i < 50; i++) {
        int bucket = random.nextInt(share % 2 == 0 ? 1001 : 40); // some shares all near idle
        FleetMinuteArithmetic.addToHistogram(s.getHistBuckets(), s.getHistCounts(), bucket, 1);
        expected.merge(bucket, 1, Integer::sum);
      }
      s.setSamples(50);
      FleetMinuteArithmetic.add(sum, s);
    }
    assertThat(sum.getHistBuckets()).containsExactlyElementsOf(expected.keySet());
    assertThat(sum.getHistCounts()).containsExactlyElementsOf(expected.values());
    assertThat(sum.getSamples()).isEqualTo(300);
  }

  /**
   * Samples written as {@link GpuSample} and read as the job reads them, resolved to {@link
   * FleetInput}: the unused fields are skipped, the used ones must arrive unchanged.
   */
  /**
   * State v1 listed each sample's utilization; v2 counts the distinct values. A GPU minute kept by
   * v1 (as a changelog written before the upgrade restores it) is read, counted and merged into its
   * share exactly as one kept by v2, and a minute of a busy GPU takes a fraction of the bytes.
   */
  @Test
  void aMinuteKeptByStateV1CountsAsOneKeptByV2AndV2IsSmaller() throws Exception {
    GpuMinuteState listed = FleetMinuteArithmetic.emptyMinute(0);
    listed.setUtilTenths(new java.util.ArrayList<>(java.util.List.of(905, 1000, 905)));
    listed.setSamples(3);
    listed.setUtilSum(281.0);
    listed.setUtilMax(100.0);
    GpuState v1State = GpuState.newBuilder().setWindows(java.util.List.of(listed)).build();
    GpuState restored =
        new kai.telemetry.streams.support.InternalAvroSerde<>(GpuState.class)
            .deserializer()
            .deserialize("gpu-state-store-changelog", v1Bytes(v1State));
    GpuMinuteState g = restored.getWindows().get(0);
    assertThat(g.getUtilTenths()).containsExactly(905, 1000, 905);

    TeamFleetState share =
        FleetMinuteArithmetic.plus("t@c@0", TeamFleetState.newBuilder().build(), g, 1);
    assertThat(share.getHistBuckets()).containsExactly(905, 1000);
    assertThat(share.getHistCounts()).containsExactly(2, 1);
    assertThat(g.getUtilTenths()).isEmpty();
    assertThat(g.getUtilBuckets()).containsExactly(905, 1000);
    assertThat(g.getUtilCounts()).containsExactly(2, 1);
    FleetSample more = fleetSample(new java.util.Random(1));
    more.setUtilizationPct(90.5);
    FleetMinuteArithmetic.addSample(g, more, share);
    assertThat(g.getUtilCounts()).containsExactly(3, 1);
    assertThat(share.getHistCounts()).containsExactly(3, 1);

    // A minute of a busy GPU sampled twice a second, in whole percents between 88 and 100.
    java.util.Random random = new java.util.Random(5);
    GpuMinuteState counted = FleetMinuteArithmetic.emptyMinute(0);
    GpuMinuteState asV1 = FleetMinuteArithmetic.emptyMinute(0);
    for (int i = 0; i < 120; i++) {
      FleetSample f = fleetSample(random);
      f.setUtilizationPct((double) (88 + random.nextInt(13)));
      FleetMinuteArithmetic.addSample(counted, f, null);
      asV1.getUtilTenths().add((int) Math.round(f.getUtilizationPct() * 10));
    }
    assertThat(counted.getUtilBuckets()).hasSize(13);
    byte[] v2 =
        new kai.telemetry.streams.support.InternalAvroSerde<>(GpuState.class)
            .serializer()
            .serialize("t", GpuState.newBuilder().setWindows(java.util.List.of(counted)).build());
    byte[] v1 = v1Bytes(GpuState.newBuilder().setWindows(java.util.List.of(asV1)).build());
    assertThat(v2.length).isLessThan(v1.length / 2);
  }

  /** {@code state} as state v1 wrote it: the version byte 1, then Avro with the v1 schema. */
  private static byte[] v1Bytes(GpuState state) throws java.io.IOException {
    org.apache.avro.Schema v1;
    try (var in =
        FleetMinuteArithmeticTest.class.getResourceAsStream("/state-schemas/GpuState/v1.avsc")) {
      v1 = new org.apache.avro.Schema.Parser().parse(in);
    }
    var out = new java.io.ByteArrayOutputStream();
    out.write(1);
    var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    // v1's fields are a prefix of today's in every record, so today's object writes as v1.
    new org.apache.avro.specific.SpecificDatumWriter<GpuState>(v1).write(state, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static FleetSample fleetSample(java.util.Random r) {
    return FleetSample.newBuilder()
        .setTeam("t")
        .setCluster("c")
        .setTsMs(0)
        .setUtilizationPct(
            r.nextInt(8) == 0
                ? null // a profile without utilization
                : r.nextInt(10) < 8 ? r.nextInt(50) / 10.0 : r.nextInt(1001) / 10.0)
        .setPowerW(r.nextBoolean() ? 100.0 + r.nextInt(600) : null)
        .setSmActive(r.nextBoolean() ? r.nextDouble() : null)
        .setTensorActive(r.nextInt(4) == 0 ? r.nextDouble() : null)
        .setXid(r.nextInt(10) == 0)
        .setEnergyDeltaMj(r.nextInt(1_000_000))
        .build();
  }

  @Test
  void percentileIsNearestRankAtTenthOfAPercent() {
    var buckets = new java.util.ArrayList<Integer>();
    var counts = new java.util.ArrayList<Integer>();
    for (int v : new int[] {975, 100, 900, 200, 800, 300, 700, 400, 600, 500}) {
      FleetMinuteArithmetic.addToHistogram(
          buckets, counts, v, 2); // 10.0%, ..., 97.5%, two samples each
    }
    assertThat(buckets).isSorted();
    assertThat(FleetMinuteArithmetic.p95(buckets, counts, 20)).isEqualTo(97.5); // rank 19 of 20
    FleetMinuteArithmetic.addToHistogram(buckets, counts, 975, -2);
    assertThat(buckets).doesNotContain(975);
    assertThat(FleetMinuteArithmetic.p95(buckets, counts, 18)).isEqualTo(90.0); // rank 18 of 18
    var hundredB = new java.util.ArrayList<Integer>();
    var hundredC = new java.util.ArrayList<Integer>();
    for (int pct = 1; pct <= 100; pct++) {
      FleetMinuteArithmetic.addToHistogram(hundredB, hundredC, pct * 10, 1);
    }
    assertThat(FleetMinuteArithmetic.p95(hundredB, hundredC, 100))
        .isEqualTo(95.0); // rank 95 of 100
  }
}
