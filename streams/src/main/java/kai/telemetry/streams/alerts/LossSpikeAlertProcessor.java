package kai.telemetry.streams.alerts;

import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.schemas.Keys;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * LOSS_SPIKE alerts from the training KPIs (one row per run and minute, updated as it fills): a
 * minute with loss spikes against the run's EWMA baseline (see docs/KPIS.md) opens one; a later
 * minute without spikes resolves it. Updates of older minutes do not decide anything.
 */
final class LossSpikeAlertProcessor implements Processor<String, RunMinute, String, Alert> {
  static final String NEWEST_STORE = "spike-newest-minute-store";
  static final String ALERTS_STORE = "spike-alerts-store";
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, Long> newestMinute; // team/run -> newest window start seen
  private AlertBook book;

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.newestMinute = context.getStateStore(NEWEST_STORE);
    this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
  }

  @Override
  public void process(Record<String, RunMinute> record) {
    RunMinute m = record.value();
    if (m == null) {
      return;
    }
    String run = Keys.of(m.getTeam(), m.getRunId());
    Long newest = newestMinute.get(run);
    if (newest != null && m.getWindowStartMs() < newest) {
      return;
    }
    newestMinute.put(run, m.getWindowStartMs());
    long now = m.getLastTsMs();
    if (m.getSpikeCount() > 0) {
      book.open(
              AlertKind.LOSS_SPIKE,
              AlertSeverity.WARNING,
              m.getTeam(),
              m.getRunId(),
              m.getSpikeCount()
                  + " loss spike(s) by step "
                  + m.getLastStep()
                  + (m.getLossMax() == null ? "" : ", loss up to " + m.getLossMax()),
              now)
          .ifPresent(this::emit);
    } else if (newest != null && m.getWindowStartMs() > newest) {
      // A new minute, so far without spikes. (An earlier update of the spike minute itself, before
      // its spike arrived, has the same window start and decides nothing.)
      book.resolve(
              AlertKind.LOSS_SPIKE,
              m.getTeam(),
              m.getRunId(),
              "no spike in the minute to step " + m.getLastStep(),
              now)
          .ifPresent(this::emit);
    }
  }

  private void emit(Alert a) {
    context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
  }
}
