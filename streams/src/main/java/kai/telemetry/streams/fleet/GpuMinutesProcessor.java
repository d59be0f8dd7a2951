package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Stage one of the fleet job, on the input partitions (samples keyed by GPU): each GPU's energy
 * meter and its open minutes live in one store entry per GPU ({@link FleetKpiJob#GPU_STORE}); this
 * partition's share of every team's cluster-minute is kept up to date from them and sent on, keyed
 * by team, every {@code emitInterval} of wall-clock time for the minutes that changed (and at once
 * for minutes a catch-up closes). Per sample, the GPU's entry and the share are updated in place;
 * the entry is serialized and logged once per commit (the store is write-behind), and what is
 * written downstream is bounded by minutes changed per interval, not by samples.
 *
 * <p>Crash safety: the shares are derived state, rebuilt from the GPU store on start; which shares
 * changed since they were last sent is itself stored ({@link FleetKpiJob#DIRTY_STORE}), so a change
 * committed before its share was sent is sent after a restart. A GPU's minute is dropped from the
 * store only once the minute is closed and its share sent, so a share to be sent is always rebuilt
 * whole. Samples later than the grace period are dropped and counted (sensor late-sample-dropped).
 */
final class GpuMinutesProcessor implements Processor<String, FleetInput, String, FleetPartial> {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(GpuMinutesProcessor.class);
  private final long size;
  private final long grace;
  private kai.telemetry.streams.support.LateByTeam lateByTeam;
  private final Duration emitInterval;

  private ProcessorContext<String, FleetPartial> context;
  private KeyValueStore<String, GpuState> gpus;
  private KeyValueStore<String, Long> dirtyStore;
  private String source;
  private Sensor late;

  /** This partition's share of each team@cluster@minute. */
  private final Map<String, TeamFleetState> shares = new HashMap<>();

  private final Set<String> dirty = new LinkedHashSet<>();

  /** Minutes starting at or before this are closed and their shares sent. */
  private long purgeThrough = Long.MIN_VALUE;

  /**
   * More than any accelerator draws (GB200 boards ~1.2 kW, B200 ~1 kW): an energy counter rising
   * faster is not believed.
   */
  static final long MAX_PLAUSIBLE_W = 5_000;

  /** A GPU whose last sample is this far behind stream time is forgotten. */
  private final long evictAfter;

  /** Stream time of the last sweep for GPUs to forget. */
  private long sweptAt = Long.MIN_VALUE;

  private Sensor evicted;

  GpuMinutesProcessor(
      Duration windowSize, Duration grace, Duration emitInterval, Duration evictAfter) {
    this.size = windowSize.toMillis();
    this.grace = grace.toMillis();
    this.emitInterval = emitInterval;
    this.evictAfter = evictAfter.toMillis();
  }

  @Override
  public void init(ProcessorContext<String, FleetPartial> context) {
    this.context = context;
    this.gpus = context.getStateStore(FleetKpiJob.GPU_STORE);
    this.dirtyStore = context.getStateStore(FleetKpiJob.DIRTY_STORE);
    this.source = context.taskId().toString();
    this.late =
        context
            .metrics()
            .addRateTotalSensor(
                "kai-fleet", source, "late-sample-dropped", Sensor.RecordingLevel.INFO);
    this.lateByTeam =
        new kai.telemetry.streams.support.LateByTeam(
            context.metrics(), "kai-fleet", source, "late-sample-dropped-by-team");
    this.evicted =
        context
            .metrics()
            .addRateTotalSensor("kai-fleet", source, "gpu-evicted", Sensor.RecordingLevel.INFO);
    try (KeyValueIterator<String, GpuState> it = gpus.all()) {
      while (it.hasNext()) {
        KeyValue<String, GpuState> e = it.next();
        for (GpuMinuteState w : e.value.getWindows()) {
          String key = shareKey(w.getTeam(), w.getCluster(), w.getWindowStartMs());
          FleetMinuteArithmetic.plus(key, shares.computeIfAbsent(key, k -> emptyShare()), w, 1);
        }
      }
    }
    try (KeyValueIterator<String, Long> it = dirtyStore.all()) {
      while (it.hasNext()) {
        dirty.add(it.next().key);
      }
    }
    context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, now -> emit(true));
  }

  @Override
  public void close() {
    lateByTeam.close();
  }

  @Override
  public void process(Record<String, FleetInput> record) {
    FleetInput s = record.value();
    if (s == null) {
      return;
    }
    long start = s.getTsMs() - Math.floorMod(s.getTsMs(), size);
    long streamTime = context.currentStreamTimeMs();
    if (lateByTeam.late(s.getTeam(), s.getTsMs(), size, grace, streamTime)) {
      late.record();
      return;
    }
    if (streamTime - size - grace >= purgeThrough + size && purgeThrough != Long.MIN_VALUE) {
      // A minute has closed since the last send (a backfill or catch-up runs through event time
      // faster than the wall clock): send those now, so GPU entries keep only open minutes.
      emit(false);
    }
    String gpu = s.getGpuUuid();
    GpuState state = gpus.get(gpu); // the live object while it awaits the commit
    if (state == null) {
      state = new GpuState(null, new ArrayList<>());
    }
    FleetSample f = FleetMinuteArithmetic.sampleOf(s, meter(state, s));

    GpuMinuteState minute = null;
    List<GpuMinuteState> windows = state.getWindows();
    for (int i = windows.size() - 1; i >= 0; i--) {
      GpuMinuteState w = windows.get(i);
      if (w.getWindowStartMs() <= purgeThrough) {
        windows.remove(i); // minutes closed and sent are dropped here
      } else if (w.getWindowStartMs() == start) {
        minute = w;
      }
    }
    String now = shareKey(f.getTeam(), f.getCluster(), start);
    TeamFleetState share = shares.computeIfAbsent(now, k -> emptyShare());
    if (minute == null) {
      minute = FleetMinuteArithmetic.emptyMinute(start);
      windows.add(minute);
      FleetMinuteArithmetic.addSample(minute, f, null);
      FleetMinuteArithmetic.plus(now, share, minute, 1);
    } else if (!share.getTeam().isEmpty()
        && minute.getTeam().equals(f.getTeam())
        && minute.getCluster().equals(f.getCluster())) {
      FleetMinuteArithmetic.addSample(minute, f, share);
    } else {
      if (minute.getSamples() > 0) { // the GPU moved to another team or cluster within the minute
        String old = shareKey(minute.getTeam(), minute.getCluster(), start);
        FleetMinuteArithmetic.plus(old, shares.computeIfAbsent(old, k -> emptyShare()), minute, -1);
        markDirty(old);
      }
      FleetMinuteArithmetic.addSample(minute, f, null);
      FleetMinuteArithmetic.plus(now, share, minute, 1);
    }
    gpus.put(gpu, state);
    markDirty(now);
  }

  /**
   * Energy since the GPU's previous sample: the increase of DCGM's counter or, across a counter
   * reset, without a counter, or when the counter rose faster than {@link #MAX_PLAUSIBLE_W} allows,
   * mean power x elapsed time. It lands in the later sample's minute, so minutes add up to the
   * GPU's whole consumption with none counted twice. A sample older than the GPU's previous one
   * meters nothing.
   */
  /** The longest gap between two samples that power x time meters (a counter meters any gap). */
  static final long MAX_POWER_GAP_MS = 5 * 60_000L;

  private static long meter(GpuState state, FleetInput s) {
    GpuMeter prev = state.getMeter();
    if (prev != null && s.getTsMs() <= prev.getTsMs()) {
      return 0;
    }
    long delta = 0;
    if (prev != null) {
      Long now = s.getEnergyMj();
      long elapsedMs = s.getTsMs() - prev.getTsMs();
      if (now != null
          && prev.getEnergyMj() != null
          && now >= prev.getEnergyMj()
          // A counter that jumps by more than any GPU can draw in the time (W x ms = mJ) is a
          // fault or a forgery: the interval is metered from power instead.
          && now - prev.getEnergyMj() <= MAX_PLAUSIBLE_W * elapsedMs) {
        delta = now - prev.getEnergyMj();
      } else {
        Double w = s.getPowerW() != null ? s.getPowerW() : prev.getPowerW();
        // Power is a reading of now, not of the gap: a GPU silent for hours would otherwise dump
        // all that energy into one minute. A gap counts at most MAX_POWER_GAP_MS; the rest is
        // missing, not metered.
        long metered = Math.min(elapsedMs, MAX_POWER_GAP_MS);
        delta = w == null ? 0 : Math.round(w * metered); // W x ms = mJ
      }
    }
    if (prev == null) {
      state.setMeter(new GpuMeter(s.getTsMs(), s.getEnergyMj(), s.getPowerW()));
    } else {
      prev.setTsMs(s.getTsMs());
      prev.setEnergyMj(s.getEnergyMj());
      prev.setPowerW(s.getPowerW());
    }
    return delta;
  }

  private void markDirty(String key) {
    if (dirty.add(key)) {
      dirtyStore.put(key, 1L);
    }
  }

  /**
   * Sends the changed shares ({@code all}) or only those of minutes that have closed, and forgets
   * the shares of closed minutes once sent. The wall-clock send sends all; a catch-up, which closes
   * minutes far faster than the wall clock, sends the closed ones at once and leaves the open ones
   * to the next wall-clock send.
   */
  private void emit(boolean all) {
    long closedThrough = context.currentStreamTimeMs() - size - grace;
    send(all ? Long.MAX_VALUE : closedThrough);
    if (closedThrough > purgeThrough) {
      purgeThrough = closedThrough;
      shares.values().removeIf(s -> s.getWindowStartMs() <= closedThrough);
    }
    if (all) {
      forgetSilentGpus();
    }
  }

  /**
   * Drops the entries of GPUs whose last sample is more than {@code evictAfter} behind stream time
   * and whose minutes are all closed and sent: their meter is all that is left, and a GPU that
   * comes back starts a new one (its first sample meters nothing, as any first sample). Swept at
   * most once per tenth of {@code evictAfter} of stream time, so the scan stays rare.
   */
  private void forgetSilentGpus() {
    long streamTime = context.currentStreamTimeMs();
    if (sweptAt != Long.MIN_VALUE && streamTime - sweptAt < evictAfter / 10) {
      return;
    }
    sweptAt = streamTime;
    List<String> silent = new ArrayList<>();
    try (KeyValueIterator<String, GpuState> it = gpus.all()) {
      while (it.hasNext()) {
        KeyValue<String, GpuState> e = it.next();
        GpuMeter m = e.value.getMeter();
        boolean open =
            e.value.getWindows().stream().anyMatch(w -> w.getWindowStartMs() > purgeThrough);
        if (m != null && m.getTsMs() < streamTime - evictAfter && !open) {
          silent.add(e.key);
        }
      }
    }
    silent.forEach(gpus::delete);
    if (!silent.isEmpty()) {
      silent.forEach(g -> evicted.record());
      log.info(
          "forgot {} GPUs without a sample for {} h of event time",
          silent.size(),
          evictAfter / 3_600_000);
    }
  }

  /** Sends the changed shares of minutes starting at or before {@code through}. */
  private void send(long through) {
    Iterator<String> it = dirty.iterator();
    while (it.hasNext()) {
      String key = it.next();
      TeamFleetState share = shares.get(key);
      if (share != null && share.getWindowStartMs() > through) {
        continue;
      }
      if (share != null) {
        context.forward(
            new Record<>(
                share.getTeam(),
                new FleetPartial(source, share),
                Math.max(0, share.getWindowStartMs())));
      }
      dirtyStore.delete(key);
      it.remove();
    }
  }

  private static String shareKey(String team, String cluster, long windowStart) {
    return team + "@" + cluster + "@" + windowStart;
  }

  /** Not counted yet: {@link FleetKpiJob#plus} names it after its key on first use. */
  private static TeamFleetState emptyShare() {
    return FleetMinuteArithmetic.emptyShareOf("", "", 0);
  }
}
