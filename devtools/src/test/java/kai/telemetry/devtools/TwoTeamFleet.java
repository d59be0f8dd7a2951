package kai.telemetry.devtools;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kai.telemetry.events.GpuSample;

/**
 * The fleet the fleet-job tests stream: 48 GPUs of two teams, two clusters each, one sample per GPU
 * per tick (10 s of event time apart), and what the team and cluster minutes must add up to.
 * Callers that fill an expectation from one thread and read it from another synchronize on it.
 */
final class TwoTeamFleet {
  static final long T0 = 1_768_467_600_000L; // 2026-01-15T09:00:00Z
  static final int GPUS = 48;

  private TwoTeamFleet() {}

  /** Samples, distinct GPUs and utilization sum of one minute row. */
  record Expected(long samples, Set<String> gpus, double utilSum) {}

  static GpuSample sample(int tick, int g) {
    String team = g < 32 ? "upstage" : "nc-ai";
    return GpuSample.newBuilder()
        .setTeam(team)
        .setCluster(team + (g % 2 == 0 ? "-a" : "-b"))
        .setNode("n" + g / 8)
        .setGpuUuid("GPU-" + g)
        .setGpuIndex(g % 8)
        .setTsMs(T0 + tick * 10_000L + g) // within a tick, GPUs a millisecond apart
        .setUtilizationPct((double) ((tick * 7 + g * 13) % 101))
        .setPowerW(300.0 + g)
        .build();
  }

  /** Adds a sample to its team row (key {@code team/*@window}) and its cluster row. */
  static void expect(Map<String, Expected> expected, GpuSample s) {
    long window = s.getTsMs() - Math.floorMod(s.getTsMs(), 60_000L);
    for (String key :
        List.of(s.getTeam() + "/*@" + window, s.getTeam() + "/" + s.getCluster() + "@" + window)) {
      Expected e = expected.getOrDefault(key, new Expected(0, new HashSet<>(), 0));
      e.gpus().add(s.getGpuUuid());
      expected.put(
          key, new Expected(e.samples() + 1, e.gpus(), e.utilSum() + s.getUtilizationPct()));
    }
  }

  /** The team rows, or the cluster rows, of {@code all}. */
  static Map<String, Expected> only(Map<String, Expected> all, boolean clusters) {
    Map<String, Expected> out = new TreeMap<>();
    all.forEach(
        (k, v) -> {
          if (k.contains("/*@") != clusters) {
            out.put(k, v);
          }
        });
    return out;
  }
}
