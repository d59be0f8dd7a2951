package kai.telemetry.streams.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kai.telemetry.events.GpuSample;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** Heartbeats for the silence check: at most one a second per cluster, however many samples. */
class ClusterHeartbeatsTest {
  private final MockProcessorContext<String, Long> context = new MockProcessorContext<>();
  private final FleetAlertProcessors.ClusterHeartbeats heartbeats =
      new FleetAlertProcessors.ClusterHeartbeats();

  @Test
  void aBurstOfSamplesSendsOneHeartbeatASecondPerCluster() {
    heartbeats.init(context);
    context.setCurrentSystemTimeMs(10_000);
    for (int i = 0; i < 1_000; i++) {
      sample("up-c1", "GPU-" + i, 5_000 + i);
    }
    sample("up-c2", "GPU-x", 6_000);
    context.setCurrentSystemTimeMs(10_999);
    sample("up-c1", "GPU-1", 7_000); // under a second since the last: held back
    context.setCurrentSystemTimeMs(11_000);
    sample("up-c1", "GPU-2", 8_000);
    assertThat(sent())
        .containsExactly("upstage/up-c1=5000", "upstage/up-c2=6000", "upstage/up-c1=8000");
  }

  @Test
  void itRemembersAtMostItsCapOfClustersAndSendsAForgottenOneAtOnce() {
    heartbeats.init(context);
    context.setCurrentSystemTimeMs(10_000);
    sample("c-first", "GPU-0", 1);
    for (int i = 0; i < FleetAlertProcessors.ClusterHeartbeats.MAX_CLUSTERS; i++) {
      sample("c-" + i, "GPU-0", 2);
    }
    context.resetForwards();
    sample("c-first", "GPU-0", 3); // evicted as least recently sent: sent again, same second
    sample("c-5", "GPU-0", 4); // still remembered: held back
    assertThat(sent()).containsExactly("upstage/c-first=3");
  }

  private void sample(String cluster, String gpu, long ts) {
    heartbeats.process(
        new Record<>(
            gpu,
            GpuSample.newBuilder()
                .setTeam("upstage")
                .setCluster(cluster)
                .setNode("n1")
                .setGpuUuid(gpu)
                .setGpuIndex(0)
                .setTsMs(ts)
                .build(),
            ts));
  }

  private List<String> sent() {
    return context.forwarded().stream()
        .map(f -> f.record().key() + "=" + f.record().value())
        .toList();
  }
}
