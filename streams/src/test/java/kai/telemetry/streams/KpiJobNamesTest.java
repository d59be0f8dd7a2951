package kai.telemetry.streams;

import static org.assertj.core.api.Assertions.assertThat;

import kai.telemetry.config.KafkaAccess;
import kai.telemetry.streams.alerts.AlertsJob;
import kai.telemetry.streams.fleet.FleetKpiJob;
import kai.telemetry.streams.program.ScoreboardJob;
import kai.telemetry.streams.training.TrainingKpiJob;
import org.junit.jupiter.api.Test;

class KpiJobNamesTest {
  @Test
  void theAccessPlanKnowsEveryJobByItsName() {
    assertThat(KafkaAccess.KPI_JOBS)
        .containsExactly(FleetKpiJob.JOB, TrainingKpiJob.JOB, ScoreboardJob.JOB, AlertsJob.JOB);
    assertThat(KafkaAccess.INTAKE_JOB).isEqualTo(kai.telemetry.streams.intake.IntakeJob.JOB);
  }
}
