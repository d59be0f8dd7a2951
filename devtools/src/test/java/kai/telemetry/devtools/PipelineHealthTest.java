package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** "Healthy" only within the documented bounds. */
class PipelineHealthTest {
  @Test
  void healthyOnlyWhenRunningCaughtUpAndFresh() {
    assertThat(
            PipelineHealth.judge(true, Map.of("fleet-kpi-job", 12L), Map.of("upstage", 70_000L))
                .healthy())
        .isTrue();
    PipelineHealth.Report behind =
        PipelineHealth.judge(
            true,
            Map.of("fleet-kpi-job", 250_000L, "clickhouse-sink", 0L),
            Map.of("upstage", 190_000L, "lg-ai-research", 60_000L));
    assertThat(behind.healthy()).isFalse();
    assertThat(behind.problems())
        .containsExactlyInAnyOrder(
            "fleet-kpi-job 250,000 records behind", "fleet KPIs of upstage 190 s behind");
    assertThat(PipelineHealth.judge(false, Map.of(), Map.of()).problems())
        .containsExactly("a process stopped (see log)");
  }
}
