package kai.telemetry.streams.alerts;

import java.util.Locale;
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
 * IMPLAUSIBLE_COMPUTE alerts from the training KPIs: a run whose claimed throughput implies an MFU
 * above the ceiling ({@code alert.plausibility.mfu.max}, default 1: more FLOP/s than its declared
 * GPUs can deliver at their peak) opens one, naming the implied MFU, the tokens/s claimed and the
 * most its GPUs could process; a later minute back under the ceiling resolves it. As for loss
 * spikes, only the run's newest minute decides. A run with an unknown GPU model has no MFU and is
 * flagged by UNKNOWN_GPU_MODEL instead.
 */
final class ComputePlausibilityProcessor implements Processor<String, RunMinute, String, Alert> {
  static final String NEWEST_STORE = "plausibility-newest-minute-store";
  static final String ALERTS_STORE = "plausibility-alerts-store";

  private final double mfuCeiling;
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, Long> newestMinute;
  private AlertBook book;

  ComputePlausibilityProcessor(double mfuCeiling) {
    this.mfuCeiling = mfuCeiling;
  }

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.newestMinute = context.getStateStore(NEWEST_STORE);
    this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
  }

  @Override
  public void process(Record<String, RunMinute> record) {
    RunMinute m = record.value();
    if (m == null || m.getMfu() == null || !Double.isFinite(m.getMfu())) {
      return;
    }
    String run = Keys.of(m.getTeam(), m.getRunId());
    Long newest = newestMinute.get(run);
    if (newest != null && m.getWindowStartMs() < newest) {
      return;
    }
    newestMinute.put(run, m.getWindowStartMs());
    double mfu = m.getMfu();
    long now = m.getLastTsMs();
    if (mfu > mfuCeiling) {
      Double tps = m.getTokensPerSec();
      book.open(
              AlertKind.IMPLAUSIBLE_COMPUTE,
              AlertSeverity.CRITICAL,
              m.getTeam(),
              m.getRunId(),
              String.format(
                  Locale.ROOT,
                  "implied MFU %.3f above the ceiling %.2f at step %d: %s tokens/s claimed, at most"
                      + " %s tokens/s on the declared GPUs at that ceiling",
                  mfu,
                  mfuCeiling,
                  m.getLastStep(),
                  tps == null ? "?" : String.format(Locale.ROOT, "%.0f", tps),
                  tps == null ? "?" : String.format(Locale.ROOT, "%.0f", tps / mfu * mfuCeiling)),
              now)
          .ifPresent(this::emit);
    } else {
      book.resolve(
              AlertKind.IMPLAUSIBLE_COMPUTE,
              m.getTeam(),
              m.getRunId(),
              String.format(
                  Locale.ROOT,
                  "implied MFU %.3f at step %d, within the ceiling",
                  mfu,
                  m.getLastStep()),
              now)
          .ifPresent(this::emit);
    }
  }

  private void emit(Alert a) {
    context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
  }
}
