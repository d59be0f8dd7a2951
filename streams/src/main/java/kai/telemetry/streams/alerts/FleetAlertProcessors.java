package kai.telemetry.streams.alerts;

import java.time.Duration;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Keys;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** The fleet's alerts: idle fleet, GPU fault and telemetry silence. */
final class FleetAlertProcessors {
  private FleetAlertProcessors() {}

  /**
   * IDLE_FLEET opens when a team's mean utilization stayed under the limit for the last N
   * consecutive minute windows, and resolves when its newest window is at or above the limit.
   */
  static final class IdleFleet implements Processor<String, TeamFleetMinute, String, Alert> {
    static final String MINUTES_STORE = "idle-minutes-store";
    static final String ALERTS_STORE = "idle-alerts-store";
    private final double limitPct;
    private final int minutes;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, Double> utilByMinute; // team@window_start -> mean utilization
    private AlertBook book;

    IdleFleet(double limitPct, int minutes) {
      this.limitPct = limitPct;
      this.minutes = minutes;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
      this.context = context;
      this.utilByMinute = context.getStateStore(MINUTES_STORE);
      this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
    }

    @Override
    public void process(Record<String, TeamFleetMinute> record) {
      TeamFleetMinute m = record.value();
      if (m == null) {
        return;
      }
      String team = m.getTeam();
      long size = m.getWindowEndMs() - m.getWindowStartMs();
      Double mean = m.getUtilizationMeanPct();
      // A minute whose GPUs reported no utilization (power and memory only) is unknown, not idle:
      // it neither opens nor resolves the alert, and breaks a run of idle minutes.
      if (mean == null) {
        utilByMinute.delete(team + "@" + m.getWindowStartMs());
      } else {
        utilByMinute.put(team + "@" + m.getWindowStartMs(), mean);
      }
      utilByMinute.delete(
          team + "@" + (m.getWindowStartMs() - (minutes + 5L) * size)); // keep it small
      Double newestStart = utilByMinute.get(team + "#newest");
      if (newestStart != null && m.getWindowStartMs() < newestStart) {
        return; // a late update of an older minute does not decide the current state
      }
      utilByMinute.put(team + "#newest", (double) m.getWindowStartMs());
      long now = m.getWindowEndMs();
      if (mean == null) {
        return;
      }
      if (mean >= limitPct) {
        book.resolve(
                AlertKind.IDLE_FLEET,
                team,
                team,
                String.format("utilization back to %.1f%%", mean),
                now)
            .ifPresent(this::emit);
        return;
      }
      for (int k = 0; k < minutes; k++) {
        Double u = utilByMinute.get(team + "@" + (m.getWindowStartMs() - k * size));
        if (u == null || u >= limitPct) {
          return;
        }
      }
      book.open(
              AlertKind.IDLE_FLEET,
              AlertSeverity.WARNING,
              team,
              team,
              String.format("mean utilization under %.0f%% for %d minutes", limitPct, minutes),
              now)
          .ifPresent(this::emit);
    }

    private void emit(Alert a) {
      context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
    }
  }

  /**
   * GPU_FAULT opens when a GPU reports a new non-zero XID code (DCGM's XID_ERRORS is the last code
   * seen, not a count) and resolves when it reports 0 again; a different code starts a new episode.
   */
  static final class GpuFault implements Processor<String, GpuSample, String, Alert> {
    static final String XID_STORE = "gpu-xid-store";
    static final String ALERTS_STORE = "gpu-alerts-store";
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, Integer> lastXid;
    private AlertBook book;

    @Override
    public void init(ProcessorContext<String, Alert> context) {
      this.context = context;
      this.lastXid = context.getStateStore(XID_STORE);
      this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
    }

    @Override
    public void process(Record<String, GpuSample> record) {
      GpuSample s = record.value();
      if (s == null || s.getXidLast() == null) {
        return;
      }
      int xid = s.getXidLast();
      Integer before = lastXid.get(s.getGpuUuid());
      if ((before == null ? 0 : before) == xid) {
        return;
      }
      // Only GPUs with a fault are kept: a healthy GPU (XID 0) needs no entry.
      if (xid == 0) {
        lastXid.delete(s.getGpuUuid());
      } else {
        lastXid.put(s.getGpuUuid(), xid);
      }
      if (before != null && before != 0) {
        book.resolve(
                AlertKind.GPU_FAULT,
                s.getTeam(),
                s.getGpuUuid(),
                xid == 0 ? "XID cleared" : "XID " + before + " replaced by " + xid,
                s.getTsMs())
            .ifPresent(this::emit);
      }
      if (xid != 0) {
        book.open(
                AlertKind.GPU_FAULT,
                xid == 79 || xid == 48 ? AlertSeverity.CRITICAL : AlertSeverity.WARNING,
                s.getTeam(),
                s.getGpuUuid(),
                "XID "
                    + xid
                    + " on GPU "
                    + s.getGpuIndex()
                    + " of "
                    + s.getNode()
                    + " ("
                    + s.getCluster()
                    + ")",
                s.getTsMs())
            .ifPresent(this::emit);
      }
    }

    private void emit(Alert a) {
      context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
    }
  }

  /**
   * A cluster's heartbeat for the silence check, sent on at most once per {@link #EVERY_MS} of
   * wall-clock time per cluster from each task: the check works in tens of seconds, so one record
   * per sample (10,000 a second at national load, each repartitioned and stored) would only cost
   * the broker and this job. What it remembers is capped at {@link #MAX_CLUSTERS} clusters, the
   * least recently sent dropped first; a dropped cluster's next sample is simply sent at once.
   */
  static final class ClusterHeartbeats implements Processor<String, GpuSample, String, Long> {
    static final long EVERY_MS = 1_000;
    static final int MAX_CLUSTERS = 10_000;
    private ProcessorContext<String, Long> context;
    private final java.util.LinkedHashMap<String, Long> lastSent =
        new java.util.LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
            return size() > MAX_CLUSTERS;
          }
        };

    @Override
    public void init(ProcessorContext<String, Long> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, GpuSample> record) {
      GpuSample s = record.value();
      long now = context.currentSystemTimeMs();
      String cluster = Keys.of(s.getTeam(), s.getCluster());
      Long last = lastSent.get(cluster);
      if (last != null && now - last < EVERY_MS && now >= last) {
        return;
      }
      lastSent.put(cluster, now);
      context.forward(record.withKey(cluster).withValue(s.getTsMs()));
    }
  }

  /**
   * TELEMETRY_SILENCE opens when a cluster sent no GPU sample for {@code silenceMs} of wall-clock
   * time and resolves on its next sample. Input: samples re-keyed by team/cluster.
   */
  static final class Silence implements Processor<String, Long, String, Alert> {
    static final String SEEN_STORE = "cluster-seen-store";
    static final String ALERTS_STORE = "silence-alerts-store";
    private final long silenceMs;
    private final long checkMs;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, Long> lastSeenWall;
    private AlertBook book;

    private final long evictAfterMs;

    Silence(long silenceMs, long checkMs, long evictAfterMs) {
      this.silenceMs = silenceMs;
      this.checkMs = checkMs;
      this.evictAfterMs = evictAfterMs;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
      this.context = context;
      this.lastSeenWall = context.getStateStore(SEEN_STORE);
      this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
      context.schedule(Duration.ofMillis(checkMs), PunctuationType.WALL_CLOCK_TIME, this::check);
    }

    @Override
    public void process(Record<String, Long> record) {
      long now = context.currentSystemTimeMs();
      lastSeenWall.put(record.key(), now);
      String[] teamCluster = Keys.parts(record.key(), 2).toArray(String[]::new);
      book.resolve(
              AlertKind.TELEMETRY_SILENCE,
              teamCluster[0],
              teamCluster[1],
              "samples arrive again",
              now)
          .ifPresent(this::emit);
    }

    /**
     * Opens TELEMETRY_SILENCE for clusters silent for {@code silenceMs}; forgets a cluster silent
     * for {@code evictAfterMs} (decommissioned, or a made-up name): its watch is dropped and its
     * silence alert resolved as such.
     */
    private void check(long now) {
      java.util.List<KeyValue<String, Long>> gone = new java.util.ArrayList<>();
      try (KeyValueIterator<String, Long> it = lastSeenWall.all()) {
        while (it.hasNext()) {
          KeyValue<String, Long> kv = it.next();
          if (now - kv.value >= evictAfterMs) {
            gone.add(kv);
          } else if (now - kv.value >= silenceMs) {
            String[] teamCluster = Keys.parts(kv.key, 2).toArray(String[]::new);
            book.open(
                    AlertKind.TELEMETRY_SILENCE,
                    AlertSeverity.CRITICAL,
                    teamCluster[0],
                    teamCluster[1],
                    "no GPU sample from cluster "
                        + teamCluster[1]
                        + " for "
                        + (now - kv.value) / 1000
                        + " s",
                    now)
                .ifPresent(this::emit);
          }
        }
      }
      for (KeyValue<String, Long> kv : gone) {
        lastSeenWall.delete(kv.key);
        String[] teamCluster = Keys.parts(kv.key, 2).toArray(String[]::new);
        book.resolve(
                AlertKind.TELEMETRY_SILENCE,
                teamCluster[0],
                teamCluster[1],
                "cluster no longer watched: silent for " + (now - kv.value) / 3_600_000 + " h",
                now)
            .ifPresent(this::emit);
      }
    }

    private void emit(Alert a) {
      context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
    }
  }
}
