package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.RunProvenance;
import kai.telemetry.events.ThirdPartyComponent;
import org.junit.jupiter.api.Test;

/** A run's chain of events: intact, and broken in each way an event can be tampered with. */
class RunChainTest {
  @Test
  void anIntactChainVerifies() {
    assertThat(RunChain.verify(asFields(chain()))).isEmpty();
  }

  @Test
  void theHashCoversEveryFieldAndThePredecessor() {
    List<RunLifecycle> c = chain();
    String h = c.get(0).getEventHash();
    assertThat(h).matches("sha256:[0-9a-f]{64}");
    RunLifecycle other = RunLifecycle.newBuilder(c.get(0)).build();
    other.getProvenance().getComponents().get(0).setLicense("MIT");
    assertThat(RunChain.hash(RunChain.fields(other))).isNotEqualTo(h);
    assertThat(RunChain.seal(c.get(1), "sha256:00").getEventHash())
        .isNotEqualTo(c.get(1).getEventHash());
  }

  @Test
  void aChangedEventIsNamed() {
    List<Map<String, String>> events = asFields(chain());
    events.get(2).put("step", "9000"); // the interruption moved to a later step
    assertThat(RunChain.verify(events))
        .hasValue(
            new RunChain.Break(
                2,
                "event #3 (INTERRUPTED at ts_ms 3000, step 9000) was changed: its content does"
                    + " not match its hash"));
  }

  @Test
  void aChangedEventWhoseHashWasRecomputedBreaksAtTheNext() {
    List<Map<String, String>> events = asFields(chain());
    events.get(1).put("checkpoint_hash", "sha256:" + "b".repeat(64));
    events.get(1).put("event_hash", RunChain.hash(events.get(1)));
    assertThat(RunChain.verify(events).orElseThrow().index()).isEqualTo(2);
    assertThat(RunChain.verify(events).orElseThrow().problem())
        .isEqualTo(
            "event #3 (INTERRUPTED at ts_ms 3000, step 1500) does not follow event #2: an event"
                + " between them was removed, or they were reordered");
  }

  @Test
  void aRemovedEventIsNamedAtTheEventThatLostItsPredecessor() {
    List<Map<String, String>> events = asFields(chain());
    events.remove(2); // the interruption disappears
    assertThat(RunChain.verify(events))
        .hasValue(
            new RunChain.Break(
                2,
                "event #3 (RESUMED at ts_ms 4000, step 1000) does not follow event #2: an event"
                    + " between them was removed, or they were reordered"));
  }

  @Test
  void reorderedEventsAreNamed() {
    List<Map<String, String>> events = asFields(chain());
    Map<String, String> resumed = events.remove(3);
    events.add(2, resumed); // RESUMED recorded before the INTERRUPTED it resumes from
    assertThat(RunChain.verify(events).orElseThrow().index()).isEqualTo(2);
  }

  @Test
  void removedFirstEventsAreNamed() {
    List<Map<String, String>> events = asFields(chain());
    events.remove(0);
    assertThat(RunChain.verify(events))
        .hasValue(
            new RunChain.Break(
                0,
                "event #1 (CHECKPOINT_SAVED at ts_ms 2000, step 1000) names a predecessor, but no"
                    + " earlier event of the run is recorded: the run's first events were"
                    + " removed"));
  }

  @Test
  void eventsRecordedBeforeChainsArePassedOverAndALaterUnhashedOneBreaks() {
    List<Map<String, String>> events = asFields(chain());
    Map<String, String> legacy = new LinkedHashMap<>(events.get(0));
    legacy.put("event_hash", null);
    legacy.put("ts_ms", "500");
    events.add(0, legacy); // a run begun before chains: its first event has no hash
    assertThat(RunChain.verify(events)).isEmpty();
    Map<String, String> late = new LinkedHashMap<>(events.get(2));
    late.put("event_hash", null);
    events.set(2, late);
    assertThat(RunChain.verify(events))
        .hasValue(
            new RunChain.Break(
                2, "event #3 (CHECKPOINT_SAVED at ts_ms 2000, step 1000) carries no event_hash"));
  }

  /** STARTED (from scratch, with a third-party encoder), checkpoint, interrupted, resumed, done. */
  static List<RunLifecycle> chain() {
    List<RunLifecycle> raw =
        List.of(
            event(1000, RunEventKind.STARTED, null)
                .setSpec(
                    ModelSpec.newBuilder()
                        .setModelName("solar-7b")
                        .setParameters(7_000_000_000L)
                        .setLayers(32)
                        .setHeads(32)
                        .setHeadDim(128)
                        .setSeqLen(4096)
                        .setPlannedTokens(2_000_000_000_000L)
                        .setGpuCount(512)
                        .setGpuType("H100")
                        .build())
                .setProvenance(
                    RunProvenance.newBuilder()
                        .setInit("scratch")
                        .setTokenizer("solar-tok-v2 sha256:" + "c".repeat(64))
                        .setDataMixtureId("mix-2026-01")
                        .setComponents(
                            new ArrayList<>(
                                List.of(
                                    ThirdPartyComponent.newBuilder()
                                        .setName("vision-encoder")
                                        .setSource("hf:some-org/siglip")
                                        .setLicense("Apache-2.0")
                                        .setHash("sha256:" + "d".repeat(64))
                                        .build())))
                        .build())
                .build(),
            event(2000, RunEventKind.CHECKPOINT_SAVED, 1000L)
                .setCheckpointHash("sha256:" + "a".repeat(64))
                .build(),
            event(3000, RunEventKind.INTERRUPTED, 1500L).setReason("xid-79").build(),
            event(4000, RunEventKind.RESUMED, 1000L).build(),
            event(5000, RunEventKind.FINISHED, 4000L).build());
    List<RunLifecycle> sealed = new ArrayList<>();
    String prev = null;
    for (RunLifecycle e : raw) {
      RunLifecycle s = RunChain.seal(e, prev);
      sealed.add(s);
      prev = s.getEventHash();
    }
    return sealed;
  }

  private static RunLifecycle.Builder event(long ts, RunEventKind kind, Long step) {
    return RunLifecycle.newBuilder()
        .setTeam("upstage")
        .setRunId("solar-pt-1")
        .setTsMs(ts)
        .setKind(kind)
        .setStep(step);
  }

  private static List<Map<String, String>> asFields(List<RunLifecycle> events) {
    List<Map<String, String>> out = new ArrayList<>();
    for (RunLifecycle e : events) {
      Map<String, String> f = new LinkedHashMap<>(RunChain.fields(e));
      f.put("event_hash", e.getEventHash());
      out.add(f);
    }
    return out;
  }
}
