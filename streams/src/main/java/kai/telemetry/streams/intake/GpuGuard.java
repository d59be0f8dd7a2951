package kai.telemetry.streams.intake;

import kai.telemetry.reference.TeamInfo;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Bounds how many distinct GPUs the intake takes from a team per minute: its allocation (from the
 * teams reference) times a margin, at least a floor. The minute is the task's stream time, which
 * only moves forward, so neither old nor made-up event times open fresh minutes. A GPU already
 * taken this minute always passes. Kept per intake partition (a task sees one partition of each
 * team's intake): a real fleet, spread over the partitions by GPU, stays far below the bound on
 * each, while a flood of made-up ids is cut at the bound on every partition, and the state here and
 * in the fleet job stays bounded by allocations, not by what a sender invents.
 */
final class GpuGuard {
  static final String STORE = "intake-gpus-store";
  static final String TEAMS_STORE = "intake-teams-store";
  private static final long MINUTE = 60_000;

  private final KeyValueStore<String, Long> seen;
  private final ReadOnlyKeyValueStore<String, ValueAndTimestamp<TeamInfo>> teams;
  private final double margin;
  private final int floor;
  private long minute = Long.MIN_VALUE;

  /** {@link #minute} as its keys spell it: formatted once a minute, not per sample. */
  private String minuteText;

  GpuGuard(
      KeyValueStore<String, Long> seen,
      ReadOnlyKeyValueStore<String, ValueAndTimestamp<TeamInfo>> teams,
      double margin,
      int floor) {
    this.seen = seen;
    this.teams = teams;
    this.margin = margin;
    this.floor = floor;
  }

  /** The most distinct GPUs per minute taken from {@code team}. */
  long cap(String team) {
    ValueAndTimestamp<TeamInfo> t = teams.get(team);
    long allocation = t == null || t.value() == null ? 0 : t.value().getGpuAllocation();
    return Math.max(floor, (long) Math.ceil(allocation * margin));
  }

  /** Whether {@code gpu} of {@code team} is taken at stream time {@code nowMs}. */
  boolean admit(String team, String gpu, long nowMs) {
    long m = nowMs - Math.floorMod(nowMs, MINUTE);
    if (m > minute) {
      minute = m;
      minuteText = minute(m);
      forgetBefore(m - MINUTE); // this minute and the last one are kept
    }
    // Stream time never goes back: m is now the newest minute, spelled minuteText.
    String key = "g/" + minuteText + "/" + kai.telemetry.schemas.Keys.of(team, gpu);
    if (seen.get(key) != null) {
      return true;
    }
    String countKey = "n/" + minuteText + "/" + team;
    Long n = seen.get(countKey);
    long count = n == null ? 0 : n;
    if (count >= cap(team)) {
      return false;
    }
    seen.put(key, 1L);
    seen.put(countKey, count + 1);
    return true;
  }

  private void forgetBefore(long m) {
    java.util.List<String> old = new java.util.ArrayList<>();
    for (String prefix : new String[] {"g/", "n/"}) {
      try (KeyValueIterator<String, Long> it = seen.range(prefix, prefix + minute(m))) {
        while (it.hasNext()) {
          KeyValue<String, Long> e = it.next();
          old.add(e.key);
        }
      }
    }
    old.forEach(seen::delete);
  }

  /** Fixed width, so that keys sort by minute. */
  private static String minute(long m) {
    return String.format("%015d", Math.max(0, m));
  }
}
