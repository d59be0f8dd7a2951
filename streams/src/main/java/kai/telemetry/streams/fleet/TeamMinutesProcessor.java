package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Keys;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Stage two of the fleet job, keyed by team: keeps every input partition's latest share of each
 * cluster-minute ({@link FleetKpiJob#STORE}, one entry per team and minute), and on each new share
 * emits that cluster's row and the team's row (cluster {@code *}), with the team's allocation from
 * the teams reference. A row's version is its sample count, which only grows. Minutes older than
 * the retention are forgotten.
 */
final class TeamMinutesProcessor
    implements Processor<String, FleetPartial, String, TeamFleetMinute> {
  private static final long GONE_AFTER_MS = Duration.ofDays(1).toMillis();
  private final Duration windowSize;
  private final long retentionMs;
  private ProcessorContext<String, TeamFleetMinute> context;
  private KeyValueStore<String, FleetMerge> minutes;
  private KeyValueStore<String, Object> teams;

  /** Newest minute each stage-one task has sent: how far each input partition has come. */
  private final Map<String, Long> newestBySource = new HashMap<>();

  TeamMinutesProcessor(Duration windowSize, Duration retention) {
    this.windowSize = windowSize;
    this.retentionMs = retention.toMillis();
  }

  @Override
  public void init(ProcessorContext<String, TeamFleetMinute> context) {
    this.context = context;
    this.minutes = context.getStateStore(FleetKpiJob.STORE);
    this.teams = context.getStateStore(FleetKpiJob.TEAMS_STORE);
    context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, now -> expire());
  }

  @Override
  public void process(Record<String, FleetPartial> record) {
    FleetPartial share = record.value();
    if (share == null) {
      return;
    }
    TeamFleetState s = share.getState();
    String key = s.getTeam() + "@" + s.getWindowStartMs();
    FleetMerge merge = minutes.get(key);
    List<FleetPartial> shares = new ArrayList<>();
    if (merge != null) {
      for (FleetPartial p : merge.getPartials()) {
        boolean replaced =
            p.getSource().equals(share.getSource())
                && p.getState().getCluster().equals(s.getCluster());
        if (!replaced) {
          shares.add(p);
        }
      }
    }
    if (s.getGpus() > 0) {
      shares.add(share);
    }
    minutes.put(key, new FleetMerge(shares));
    newestBySource.merge(share.getSource(), s.getWindowStartMs(), Math::max);

    TeamFleetState cluster = sum(shares, s.getCluster());
    TeamFleetState team = sum(shares, null);
    if (cluster.getGpus() > 0) {
      forward(Keys.of(s.getTeam(), s.getCluster()), cluster, null, record.timestamp());
    }
    if (team.getGpus() > 0) {
      forward(s.getTeam(), team, teamInfo(s.getTeam()), record.timestamp());
    }
  }

  private void forward(String key, TeamFleetState state, TeamInfo team, long timestamp) {
    state.setUpdates(state.getSamples()); // the version: grows with every sample counted
    context.forward(
        new Record<>(key, FleetMinuteArithmetic.toKpi(state, team, windowSize), timestamp));
  }

  /** The shares of one cluster (or, for {@code null}, all of them, as cluster {@code *}). */
  private static TeamFleetState sum(List<FleetPartial> shares, String cluster) {
    TeamFleetState out = null;
    for (FleetPartial p : shares) {
      TeamFleetState s = p.getState();
      if (cluster != null && !s.getCluster().equals(cluster)) {
        continue;
      }
      if (out == null) {
        out =
            FleetMinuteArithmetic.emptyShareOf(
                s.getTeam(), cluster == null ? "*" : cluster, s.getWindowStartMs());
      }
      FleetMinuteArithmetic.add(out, s);
    }
    return out == null ? TeamFleetState.newBuilder().build() : out;
  }

  private TeamInfo teamInfo(String team) {
    Object v = teams.get(team);
    if (v instanceof ValueAndTimestamp<?> vt) {
      v = vt.value();
    }
    return v instanceof TeamInfo t ? t : null;
  }

  /**
   * Forgets minutes older than the retention behind the slowest input partition, so no share can
   * arrive for a minute already forgotten (a partition re-sends at most a grace period back). A
   * partition a day behind the newest is taken as gone and no longer holds the horizon back.
   */
  private void expire() {
    if (newestBySource.isEmpty()) {
      return;
    }
    long newest = Collections.max(newestBySource.values());
    long slowest =
        newestBySource.values().stream()
            .filter(w -> w >= newest - GONE_AFTER_MS)
            .min(Long::compare)
            .orElse(newest);
    long horizon = slowest - retentionMs;
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, FleetMerge> it = minutes.all()) {
      while (it.hasNext()) {
        KeyValue<String, FleetMerge> e = it.next();
        long start = Long.parseLong(e.key.substring(e.key.lastIndexOf('@') + 1));
        if (start < horizon) {
          old.add(e.key);
        }
      }
    }
    old.forEach(minutes::delete);
  }
}
