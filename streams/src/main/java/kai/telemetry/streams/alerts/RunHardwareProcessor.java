package kai.telemetry.streams.alerts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A run's claims against the GPUs seen working for it, minute by minute: its steps, its declared
 * GPU count (STARTED) and the GPU samples that carry its run id (dcgm-exporter's pod or run label,
 * a collector's run setting), all keyed by team/run. A minute is judged once stream time is {@link
 * #SETTLE_MS} past its end, so late samples still count:
 *
 * <ul>
 *   <li>GPU_COUNT_MISMATCH: the GPUs seen differ from the declared count by more than the tolerance
 *       (a run on fewer GPUs than declared inflates its per-GPU figures; on more, it uses hardware
 *       it did not declare);
 *   <li>TOKENS_ON_IDLE_GPUS: steps were logged while every GPU seen for the run was idle (under the
 *       idle utilization): the steps are not being computed there.
 * </ul>
 *
 * A minute with steps but no sample naming the run cannot be judged and raises nothing. Each alert
 * resolves at the run's next minute judged consistent. State is a minute's steps and GPUs per run
 * (bounded by the intake's per-minute GPU cap) and each run's declared count, dropped at FINISHED.
 */
final class RunHardwareProcessor implements Processor<String, Object, String, Alert> {
  static final String DECLARED_STORE = "hardware-declared-store";
  static final String STEPS_STORE = "hardware-steps-store";
  static final String SEEN_STORE = "hardware-seen-store";
  static final String ALERTS_STORE = "hardware-alerts-store";
  static final String LAST_STORE = "hardware-last-event-store";

  /** How far stream time must pass a minute's end before the minute is judged. */
  static final long SETTLE_MS = 60_000;

  private static final long MINUTE = 60_000;

  private final double tolerance;
  private final double idleUtilPct;
  private final long evictAfterMs;
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, Long> declared; // team/run -> declared GPUs
  private KeyValueStore<String, Long> steps; // minute|team/run -> steps in the minute
  private KeyValueStore<String, Long> seen; // minute|team/run|gpu -> 1 busy, 0 idle
  private KeyValueStore<String, Long> last; // team/run -> time of its last step or event
  private AlertBook book;

  RunHardwareProcessor(double tolerance, double idleUtilPct, long evictAfterMs) {
    this.tolerance = tolerance;
    this.idleUtilPct = idleUtilPct;
    this.evictAfterMs = evictAfterMs;
  }

  /** A GPU sample as this processor sees it: the GPU and whether it was busy. */
  record Observation(String team, String runId, String gpu, boolean busy) {}

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.declared = context.getStateStore(DECLARED_STORE);
    this.steps = context.getStateStore(STEPS_STORE);
    this.seen = context.getStateStore(SEEN_STORE);
    this.last = context.getStateStore(LAST_STORE);
    this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
    context.schedule(Duration.ofSeconds(10), PunctuationType.STREAM_TIME, this::judge);
  }

  @Override
  public void process(Record<String, Object> record) {
    String run = record.key();
    long minute = record.timestamp() - Math.floorMod(record.timestamp(), MINUTE);
    if (!(record.value() instanceof Observation)) {
      last.put(run, record.timestamp());
    }
    switch (record.value()) {
      case TrainingStep s -> {
        String k = minuteKey(minute, run);
        Long n = steps.get(k);
        steps.put(k, n == null ? 1 : n + 1);
      }
      case RunLifecycle l when l.getKind() == RunEventKind.STARTED && l.getSpec() != null ->
          declared.put(run, (long) l.getSpec().getGpuCount());
      case RunLifecycle l when l.getKind() == RunEventKind.FINISHED -> {
        declared.delete(run);
        last.delete(run);
      }
      case Observation o -> {
        String k = minuteKey(minute, run) + "|" + o.gpu();
        Long was = seen.get(k);
        if (was == null || (o.busy() && was == 0)) {
          seen.put(k, o.busy() ? 1L : 0L);
        }
      }
      case null, default -> {
        // other lifecycle events do not bear on the hardware
      }
    }
  }

  /** Judges every minute at least SETTLE_MS past its end, then forgets it. */
  private void judge(long streamTime) {
    long before = streamTime - MINUTE - SETTLE_MS; // minutes starting before this are settled
    String upTo = pad(Math.max(0, before)) + "|";
    List<KeyValue<String, Long>> due = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = steps.range(pad(0), upTo)) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, Long> kv : due) {
      steps.delete(kv.key);
      int bar = kv.key.indexOf('|');
      long minute = Long.parseLong(kv.key.substring(0, bar));
      String run = kv.key.substring(bar + 1);
      int gpus = 0;
      int busy = 0;
      List<String> gone = new ArrayList<>();
      try (KeyValueIterator<String, Long> it =
          seen.prefixScan(
              kv.key + "|", new org.apache.kafka.common.serialization.StringSerializer())) {
        while (it.hasNext()) {
          KeyValue<String, Long> g = it.next();
          gone.add(g.key);
          gpus++;
          busy += g.value.intValue();
        }
      }
      gone.forEach(seen::delete);
      if (gpus > 0) {
        judgeMinute(run, minute, kv.value, gpus, busy);
      }
    }
    // GPUs seen in settled minutes without steps: nothing to judge, forget them.
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = seen.range(pad(0), upTo)) {
      it.forEachRemaining(g -> stale.add(g.key));
    }
    stale.forEach(seen::delete);
    // Runs without a step or event for evictAfterMs (abandoned, or made-up ids) are forgotten.
    List<String> abandoned = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = last.all()) {
      it.forEachRemaining(
          kv -> {
            if (streamTime - kv.value > evictAfterMs) {
              abandoned.add(kv.key);
            }
          });
    }
    for (String run : abandoned) {
      last.delete(run);
      declared.delete(run);
    }
  }

  private void judgeMinute(String run, long minute, long stepCount, int gpus, int busy) {
    int slash = run.indexOf('/');
    String team = run.substring(0, slash);
    String runId = run.substring(slash + 1);
    long at = minute + MINUTE;
    String when = "the minute from " + Instant.ofEpochMilli(minute);
    Long declaredGpus = declared.get(run);
    if (declaredGpus != null && declaredGpus > 0) {
      if (Math.abs(gpus - declaredGpus) > tolerance * declaredGpus) {
        book.open(
                AlertKind.GPU_COUNT_MISMATCH,
                AlertSeverity.WARNING,
                team,
                runId,
                String.format(
                    Locale.ROOT,
                    "declared %d GPUs, %d seen working for the run in %s (tolerance %.0f%%)",
                    declaredGpus,
                    gpus,
                    when,
                    tolerance * 100),
                at)
            .ifPresent(this::emit);
      } else {
        book.resolve(
                AlertKind.GPU_COUNT_MISMATCH,
                team,
                runId,
                gpus + " GPUs seen in " + when + ", as declared",
                at)
            .ifPresent(this::emit);
      }
    }
    if (busy == 0) {
      book.open(
              AlertKind.TOKENS_ON_IDLE_GPUS,
              AlertSeverity.CRITICAL,
              team,
              runId,
              String.format(
                  Locale.ROOT,
                  "%d steps logged in %s while the run's %d GPUs seen were idle (all under %.1f%%"
                      + " utilization)",
                  stepCount,
                  when,
                  gpus,
                  idleUtilPct),
              at)
          .ifPresent(this::emit);
    } else {
      book.resolve(
              AlertKind.TOKENS_ON_IDLE_GPUS,
              team,
              runId,
              busy + " of the run's " + gpus + " GPUs busy in " + when,
              at)
          .ifPresent(this::emit);
    }
  }

  private static String minuteKey(long minute, String run) {
    return pad(minute) + "|" + run;
  }

  /** Epoch ms zero-padded, so keys sort by time. */
  private static String pad(long ms) {
    return String.format(Locale.ROOT, "%015d", ms);
  }

  private void emit(Alert a) {
    context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
  }
}
