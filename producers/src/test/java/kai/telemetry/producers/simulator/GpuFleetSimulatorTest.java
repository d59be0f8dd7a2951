package kai.telemetry.producers.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.program.Team;
import org.junit.jupiter.api.Test;

class GpuFleetSimulatorTest {
  private final List<Team> launch = ProgramFile.launchDefault().activeTeams();

  @Test
  void launchProgramHasTheFiveTeams() {
    assertThat(launch)
        .extracting(Team::id)
        .containsExactly("naver-cloud", "upstage", "sk-telecom", "nc-ai", "lg-ai-research");
  }

  @Test
  void sameSeedSameSamples() {
    GpuFleetSimulator a = new GpuFleetSimulator(launch, 4, 7);
    GpuFleetSimulator b = new GpuFleetSimulator(launch, 4, 7);
    List<GpuSample> fromA = new ArrayList<>();
    List<GpuSample> fromB = new ArrayList<>();
    for (int t = 0; t < 5; t++) {
      fromA.addAll(a.tick(t, 1000L * t));
      fromB.addAll(b.tick(t, 1000L * t));
    }
    assertThat(fromB).isEqualTo(fromA);
    assertThat(new GpuFleetSimulator(launch, 4, 8).tick(0, 0))
        .isNotEqualTo(new GpuFleetSimulator(launch, 4, 7).tick(0, 0));
  }

  @Test
  void energyCounterGrowsByPowerTimesTime() {
    GpuFleetSimulator sim = new GpuFleetSimulator(launch, 1, 7);
    GpuSample first = sim.tick(0, 10_000).get(0);
    GpuSample second = sim.tick(1, 40_000).get(0);
    // mJ = W x ms over the 30 s between the two readings, at the second reading's power.
    assertThat(second.getEnergyMj() - first.getEnergyMj())
        .isEqualTo(Math.round(second.getPowerW() * 30_000));
  }

  @Test
  void aDownRunIdlesItsTeamAndTheFaultyGpuReportsItsXid() {
    GpuFleetSimulator sim = new GpuFleetSimulator(launch, 4, 7);
    var down =
        new TrainingRunSimulator.Tick(List.of(), List.of(), List.of(), List.of(), true, 2, 79);
    List<GpuSample> samples = sim.tick(0, 0, java.util.Map.of("upstage", down));
    List<GpuSample> upstage = samples.stream().filter(s -> s.getTeam().equals("upstage")).toList();
    assertThat(upstage).allSatisfy(s -> assertThat(s.getUtilizationPct()).isLessThan(5.0));
    assertThat(upstage).extracting(GpuSample::getXidLast).containsExactly(0, 0, 79, 0);
    assertThat(samples.stream().filter(s -> !s.getTeam().equals("upstage")))
        .allSatisfy(s -> assertThat(s.getXidLast()).isZero());
  }

  @Test
  void fleetShapeFollowsTheSettings() {
    GpuFleetSimulator sim = new GpuFleetSimulator(launch, 12, 1);
    assertThat(sim.gpus()).hasSize(60);
    assertThat(new HashSet<>(sim.gpus().stream().map(GpuFleetSimulator.SimGpu::uuid).toList()))
        .hasSize(60);
    // 8 GPUs a node: GPU 9 of a team is index 1 on its second node.
    GpuFleetSimulator.SimGpu ninth = sim.gpus().get(9);
    assertThat(ninth.node()).isEqualTo("naver-cloud-node-001");
    assertThat(ninth.index()).isEqualTo(1);
    assertThat(ninth.uuid()).matches("GPU-[0-9a-f-]{36}");
    assertThatThrownBy(() -> new GpuFleetSimulator(launch, 0, 1))
        .hasMessageContaining("at least 1");
  }

  @Test
  void valuesStayInPhysicalRangesAndIdleStretchesOccur() {
    GpuFleetSimulator sim = new GpuFleetSimulator(launch, 8, 3);
    int idle = 0;
    int total = 0;
    for (int t = 0; t < 2000; t++) {
      for (GpuSample s : sim.tick(t, t)) {
        total++;
        assertThat(s.getUtilizationPct()).isBetween(0.0, 100.0);
        assertThat(s.getPowerW()).isBetween(70.0, 720.0);
        assertThat(s.getMemUsedMib()).isLessThanOrEqualTo(s.getMemTotalMib());
        if (s.getUtilizationPct() < 5) {
          idle++;
        }
      }
    }
    // Idle starts with 2% per tick and lasts 3 ticks: about 6% of samples, never none.
    double idleShare = idle / (double) total;
    assertThat(idleShare).isBetween(0.03, 0.09);
  }
}
