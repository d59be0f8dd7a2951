package kai.telemetry.streams.alerts;

import java.time.Duration;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import kai.telemetry.schemas.GpuPeaks;
import kai.telemetry.schemas.Keys;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Run alerts. DIVERGENCE opens on a NaN or infinite loss and resolves on the next finite one (a
 * restart from a checkpoint). STALLED_RUN opens when a run that has not finished produced no step
 * for {@code stallMs} of wall-clock time (checked by a wall-clock punctuation, so a run that stops
 * sending anything is noticed), and resolves on its next step or when it finishes.
 */
final class RunAlertProcessor implements Processor<String, SpecificRecord, String, Alert> {
  static final String WATCH_STORE = "run-watch-store";
  static final String ALERTS_STORE = "run-alerts-store";

  private final long stallMs;
  private final long checkMs;
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, Long> lastStepWall; // team/run -> wall ms of its last step
  private AlertBook book;

  private final long evictAfterMs;

  RunAlertProcessor(long stallMs, long checkMs, long evictAfterMs) {
    this.stallMs = stallMs;
    this.checkMs = checkMs;
    this.evictAfterMs = evictAfterMs;
  }

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.lastStepWall = context.getStateStore(WATCH_STORE);
    this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
    context.schedule(
        Duration.ofMillis(checkMs), PunctuationType.WALL_CLOCK_TIME, this::checkStalls);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    long now = context.currentSystemTimeMs();
    String run = record.key();
    switch (record.value()) {
      case TrainingStep s -> {
        lastStepWall.put(run, now);
        book.resolve(
                AlertKind.STALLED_RUN,
                s.getTeam(),
                s.getRunId(),
                "steps again at step " + s.getStep(),
                now)
            .ifPresent(this::emit);
        Double loss = s.getLoss();
        if (loss != null && !Double.isFinite(loss)) {
          book.open(
                  AlertKind.DIVERGENCE,
                  AlertSeverity.CRITICAL,
                  s.getTeam(),
                  s.getRunId(),
                  "loss is " + loss + " at step " + s.getStep(),
                  now)
              .ifPresent(this::emit);
        } else if (loss != null) {
          book.resolve(
                  AlertKind.DIVERGENCE,
                  s.getTeam(),
                  s.getRunId(),
                  "finite loss " + loss + " at step " + s.getStep(),
                  now)
              .ifPresent(this::emit);
        }
      }
      case RunLifecycle l when l.getKind() == RunEventKind.FINISHED -> {
        lastStepWall.delete(run);
        book.resolve(AlertKind.STALLED_RUN, l.getTeam(), l.getRunId(), "run finished", now)
            .ifPresent(this::emit);
      }
      case RunLifecycle l when l.getKind() == RunEventKind.STARTED -> {
        if (lastStepWall.get(run) == null) {
          lastStepWall.put(run, now); // a run that starts and never steps is stalled too
        }
        gpuModel(l, now);
      }
      case null, default -> {
        // other lifecycle events do not change these alerts
      }
    }
  }

  /**
   * UNKNOWN_GPU_MODEL: a run declared a GPU model the peak-FLOPs reference does not list, so its
   * MFU and compute plausibility cannot be computed. Resolved when the run declares a known one.
   */
  private void gpuModel(RunLifecycle l, long now) {
    if (l.getSpec() == null) {
      return;
    }
    String type = l.getSpec().getGpuType();
    if (GpuPeaks.model(type).isEmpty()) {
      book.open(
              AlertKind.UNKNOWN_GPU_MODEL,
              AlertSeverity.WARNING,
              l.getTeam(),
              l.getRunId(),
              "declared GPU model '"
                  + type
                  + "' is not in the peak-FLOPs reference "
                  + GpuPeaks.names()
                  + ": no MFU and no compute-plausibility check for this run",
              now)
          .ifPresent(this::emit);
    } else {
      book.resolve(
              AlertKind.UNKNOWN_GPU_MODEL,
              l.getTeam(),
              l.getRunId(),
              "declared GPU model '" + type + "' is known",
              now)
          .ifPresent(this::emit);
    }
  }

  /**
   * Opens STALLED_RUN for runs without a step for {@code stallMs}; forgets a run without a step for
   * {@code evictAfterMs} (its watch is dropped and its stall alert resolved as abandoned), so runs
   * that never finish do not stay watched forever.
   */
  private void checkStalls(long now) {
    java.util.List<KeyValue<String, Long>> abandoned = new java.util.ArrayList<>();
    try (KeyValueIterator<String, Long> it = lastStepWall.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        if (now - kv.value >= evictAfterMs) {
          abandoned.add(kv);
        } else if (now - kv.value >= stallMs) {
          String[] teamRun = Keys.parts(kv.key, 2).toArray(String[]::new);
          book.open(
                  AlertKind.STALLED_RUN,
                  AlertSeverity.WARNING,
                  teamRun[0],
                  teamRun.length > 1 ? teamRun[1] : "",
                  "no step for " + (now - kv.value) / 1000 + " s",
                  now)
              .ifPresent(this::emit);
        }
      }
    }
    for (KeyValue<String, Long> kv : abandoned) {
      lastStepWall.delete(kv.key);
      String[] teamRun = Keys.parts(kv.key, 2).toArray(String[]::new);
      book.resolve(
              AlertKind.STALLED_RUN,
              teamRun[0],
              teamRun.length > 1 ? teamRun[1] : "",
              "run abandoned: no step for "
                  + (now - kv.value) / 3_600_000
                  + " h, no longer watched",
              now)
          .ifPresent(this::emit);
    }
  }

  private void emit(Alert a) {
    context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
  }
}
