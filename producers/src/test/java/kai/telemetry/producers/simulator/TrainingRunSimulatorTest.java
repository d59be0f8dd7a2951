package kai.telemetry.producers.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.program.ProgramFile;
import org.junit.jupiter.api.Test;

class TrainingRunSimulatorTest {
  private static final ProgramFile PROGRAM = ProgramFile.launchDefault();
  private static final long INTERVAL = 4_000;

  private record Run(
      List<TrainingStep> steps,
      List<RunLifecycle> life,
      List<BenchmarkResult> evals,
      int downTicks) {}

  private static Run simulate(long seed, int ticks) {
    TrainingRunSimulator sim =
        new TrainingRunSimulator(
            PROGRAM.teams().get(1), 1, 64, INTERVAL, PROGRAM.benchmarks(), seed, 1.0);
    List<TrainingStep> steps = new ArrayList<>();
    List<RunLifecycle> life = new ArrayList<>();
    List<BenchmarkResult> evals = new ArrayList<>();
    int down = 0;
    for (int t = 0; t < ticks; t++) {
      TrainingRunSimulator.Tick tick = sim.tick(1_760_000_000_000L + t * INTERVAL, INTERVAL);
      steps.addAll(tick.steps());
      life.addAll(tick.lifecycle());
      evals.addAll(tick.benchmarks());
      down += tick.down() ? 1 : 0;
    }
    return new Run(steps, life, evals, down);
  }

  @Test
  void deterministicForASeed() {
    Run a = simulate(11, 3000);
    Run b = simulate(11, 3000);
    assertThat(a.steps()).isEqualTo(b.steps());
    assertThat(a.life()).isEqualTo(b.life());
    assertThat(simulate(12, 3000).steps()).isNotEqualTo(a.steps());
  }

  @Test
  void lossFallsWithTokensSpikesAreRareAndDivergenceIsNaN() {
    Run run = simulate(5, 20_000);
    List<TrainingStep> finite =
        run.steps().stream().filter(s -> Double.isFinite(s.getLoss())).toList();
    double early =
        finite.subList(0, 200).stream().mapToDouble(TrainingStep::getLoss).average().orElseThrow();
    double late =
        finite.subList(finite.size() - 200, finite.size()).stream()
            .mapToDouble(TrainingStep::getLoss)
            .average()
            .orElseThrow();
    assertThat(late).isLessThan(early);
    // A spike: at least 1.3x the scaling-law value (noise is +-0.02).
    long spikes =
        finite.stream()
            .filter(s -> s.getLoss() > 1.25 * (1.69 + 410.0 / Math.pow(s.getTokens(), 0.28)))
            .count();
    double spikeRate = spikes / (double) finite.size();
    assertThat(spikeRate).isBetween(0.005, 0.02);
    TrainingRunSimulator sim =
        new TrainingRunSimulator(
            PROGRAM.teams().get(1), 1, 64, INTERVAL, PROGRAM.benchmarks(), 5, 1.0);
    assertThat(run.steps())
        .allSatisfy(s -> assertThat(s.getTokens()).isEqualTo(s.getStep() * sim.tokensPerStep()));
    // Throughput at about 40% MFU: tokens/s x FLOPs per token / (GPUs x H100 peak).
    var spec = sim.spec();
    double fpt =
        6.0 * spec.getParameters()
            + 12.0 * spec.getLayers() * spec.getHeads() * spec.getHeadDim() * spec.getSeqLen();
    double mfu = run.steps().get(0).getTokensPerSec() * fpt / (64 * 989e12);
    assertThat(mfu).isBetween(0.38, 0.42);
  }

  @Test
  void interruptionsResumeFromTheLastCheckpoint() {
    Run run = simulate(3, 20_000);
    assertThat(run.life().get(0).getKind()).isEqualTo(RunEventKind.STARTED);
    assertThat(run.life().get(0).getSpec().getGpuCount()).isEqualTo(64);
    List<RunLifecycle> interrupts =
        run.life().stream().filter(l -> l.getKind() == RunEventKind.INTERRUPTED).toList();
    List<RunLifecycle> resumes =
        run.life().stream().filter(l -> l.getKind() == RunEventKind.RESUMED).toList();
    assertThat(interrupts).isNotEmpty();
    assertThat(resumes.size()).isBetween(interrupts.size() - 1, interrupts.size());
    assertThat(run.downTicks()).isPositive();
    long lastCheckpoint = 0;
    for (RunLifecycle l : run.life()) {
      if (l.getKind() == RunEventKind.CHECKPOINT_SAVED) {
        lastCheckpoint = l.getStep();
        assertThat(l.getStep() % TrainingRunSimulator.CHECKPOINT_EVERY).isZero();
      } else if (l.getKind() == RunEventKind.RESUMED) {
        assertThat(l.getStep()).isEqualTo(lastCheckpoint);
      }
    }
    assertThat(run.evals()).isNotEmpty();
    assertThat(run.evals())
        .allSatisfy(e -> assertThat(e.getScore()).isBetween(0.0, e.getScaleMax()));
  }

  @Test
  void theRunsEventsFormAnIntactChain() {
    Run run = simulate(7, 400);
    List<java.util.Map<String, String>> events = new ArrayList<>();
    for (RunLifecycle e : run.life()) {
      java.util.Map<String, String> f =
          new java.util.LinkedHashMap<>(kai.telemetry.schemas.RunChain.fields(e));
      f.put("event_hash", e.getEventHash());
      events.add(f);
    }
    assertThat(events).hasSizeGreaterThan(2);
    assertThat(kai.telemetry.schemas.RunChain.verify(events)).isEmpty();
    assertThat(run.life().get(0).getProvenance().getInit()).isEqualTo("scratch");
  }
}
