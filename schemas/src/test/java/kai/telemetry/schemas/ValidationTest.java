package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import org.junit.jupiter.api.Test;

class ValidationTest {
  private static final long NOW = 1_768_467_600_000L;

  private static BenchmarkResult result(String team, String model, String benchmark) {
    return BenchmarkResult.newBuilder()
        .setTeam(team)
        .setModel(model)
        .setBenchmark(benchmark)
        .setMetric("acc")
        .setScore(0.5)
        .setEvaluator(Evaluator.SELF_REPORTED)
        .setTsMs(NOW)
        .build();
  }

  @Test
  void nonFiniteReadingsAreRefusedNamingTheField() {
    var sample =
        kai.telemetry.events.GpuSample.newBuilder()
            .setTeam("upstage")
            .setCluster("c1")
            .setNode("n1")
            .setGpuUuid("GPU-1")
            .setGpuIndex(0)
            .setTsMs(NOW)
            .setUtilizationPct(Double.NaN)
            .setPowerW(Double.POSITIVE_INFINITY)
            .setMemUsedMib(1024.0)
            .build();
    assertThat(Validation.check(sample, NOW))
        .containsExactlyInAnyOrder(
            "utilization_pct NaN is not a finite number",
            "power_w Infinity is not a finite number");
    var result = result("upstage", "m", "kmmlu");
    result.setScore(Double.NaN);
    assertThat(Validation.check(result, NOW)).containsExactly("score NaN is not a finite number");
  }

  @Test
  void aLocalCheckpointPathAsTheModelIsAccepted() {
    // lm-evaluation-harness puts model_args' pretrained= there, often a path.
    assertThat(Validation.check(result("upstage", "/data/ckpt/solar pro 2", "kmmlu"), NOW))
        .isEmpty();
  }

  @Test
  void aTeamOrBenchmarkThatIsNotAnIdIsRefusedWithTheReason() {
    assertThat(Validation.check(result("Upstage", "m", "kmmlu'--"), NOW))
        .hasSize(2)
        .anySatisfy(r -> assertThat(r).startsWith("team 'Upstage' is not an id"))
        .anySatisfy(r -> assertThat(r).startsWith("benchmark 'kmmlu'--' is not an id"));
  }
}
