package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;

/**
 * All of the fleet job's arithmetic, in one place: a GPU's minute from its samples, a team or
 * cluster minute's share from its GPUs' minutes (added, and moved as a GPU's minute changes), the
 * sum of shares, and the KPI row from the sum. A new metric of the team/cluster minute is added
 * here (its state fields, how a sample, a share and a sum carry it, how the row shows it) and in
 * FleetMinuteArithmeticTest; the processors only call these.
 */
final class FleetMinuteArithmetic {
  /** A GPU whose highest utilization in the minute is under this is idle. */
  static final double IDLE_BELOW_PCT = 5.0;

  private FleetMinuteArithmetic() {}

  /** What the job takes from one GPU sample; {@code energyDeltaMj} is from the GPU's meter. */
  static FleetSample sampleOf(FleetInput s, long energyDeltaMj) {
    Integer xid = s.getXidLast();
    return new FleetSample(
        s.getTeam(),
        s.getCluster(),
        s.getTsMs(),
        s.getUtilizationPct(),
        s.getPowerW(),
        s.getSmActive(),
        s.getTensorActive(),
        xid != null && xid != 0,
        energyDeltaMj);
  }

  /** Adds one share of a minute to a sum of shares (histograms merged bucket by bucket). */
  static void add(TeamFleetState sum, TeamFleetState s) {
    mergeHistogram(sum, s.getHistBuckets(), s.getHistCounts());
    sum.setGpus(sum.getGpus() + s.getGpus());
    sum.setSamples(sum.getSamples() + s.getSamples());
    sum.setUtilSum(sum.getUtilSum() + s.getUtilSum());
    sum.setIdleGpus(sum.getIdleGpus() + s.getIdleGpus());
    sum.setPowerW(sum.getPowerW() + s.getPowerW());
    sum.setPowerGpus(sum.getPowerGpus() + s.getPowerGpus());
    sum.setSmSum(sum.getSmSum() + s.getSmSum());
    sum.setSmN(sum.getSmN() + s.getSmN());
    sum.setTensorSum(sum.getTensorSum() + s.getTensorSum());
    sum.setTensorN(sum.getTensorN() + s.getTensorN());
    sum.setEnergyMj(sum.getEnergyMj() + s.getEnergyMj());
    sum.setXidGpus(sum.getXidGpus() + s.getXidGpus());
  }

  /** A share (or sum of shares) of a team cluster's minute that counts nothing yet. */
  static TeamFleetState emptyShareOf(String team, String cluster, long windowStartMs) {
    return new TeamFleetState(
        team,
        cluster,
        windowStartMs,
        0,
        0L,
        0.0,
        new ArrayList<>(),
        new ArrayList<>(),
        0,
        0.0,
        0,
        0.0,
        0L,
        0.0,
        0L,
        0L,
        0,
        0L);
  }

  /** A GPU's minute before its first sample. */
  static GpuMinuteState emptyMinute(long windowStartMs) {
    return new GpuMinuteState(
        windowStartMs,
        "",
        "",
        0L,
        0.0,
        0.0,
        new ArrayList<>(),
        0.0,
        0L,
        0.0,
        0L,
        0.0,
        0L,
        0L,
        false,
        new ArrayList<>(),
        new ArrayList<>());
  }

  /**
   * Brings a GPU minute read from state v1 (each sample's utilization in a list) to the counted
   * form, in place; a v2 minute is left as it is. Every reader of a minute calls it first.
   */
  static void countUtilization(GpuMinuteState g) {
    List<Integer> listed = g.getUtilTenths();
    if (listed.isEmpty()) {
      return;
    }
    for (int tenth : listed) {
      addToHistogram(g.getUtilBuckets(), g.getUtilCounts(), tenth, 1);
    }
    g.setUtilTenths(new ArrayList<>());
  }

  /**
   * Adds sample {@code f} to GPU minute {@code g}, in place (the sample's team and cluster become
   * the minute's). When {@code share} is not null it counts {@code g} and is brought up to date at
   * the cost of the new sample only: the same result as removing {@code g} from it with {@link
   * #plus} before the sample and adding it back after.
   */
  static void addSample(GpuMinuteState g, FleetSample f, TeamFleetState share) {
    countUtilization(g);
    int wasIdle = idle(g);
    double meanPowerBefore = meanPower(g);
    boolean hadPower = g.getPowerN() > 0;
    boolean hadXid = g.getXid();
    // A sample without utilization (a dcgm profile exporting neither GPU_UTIL nor GR_ENGINE_ACTIVE)
    // counts for the GPU's presence, power, energy and faults, never as 0% utilization.
    Double util = f.getUtilizationPct();
    int tenth = util == null ? -1 : (int) Math.round(Math.max(0, Math.min(100, util)) * 10);
    g.setTeam(f.getTeam());
    g.setCluster(f.getCluster());
    if (util != null) {
      g.setUtilMax(g.getUtilBuckets().isEmpty() ? util : Math.max(g.getUtilMax(), util));
      g.setUtilSum(g.getUtilSum() + util);
      // Counted, not listed: the state (and its changelog, rewritten every commit) grows with the
      // distinct values, not with the samples.
      addToHistogram(g.getUtilBuckets(), g.getUtilCounts(), tenth, 1); // 0..1000
    }
    g.setSamples(g.getSamples() + 1);
    g.setEnergyMj(g.getEnergyMj() + f.getEnergyDeltaMj());
    g.setXid(hadXid || f.getXid());
    Double power = f.getPowerW();
    if (power != null) {
      g.setPowerSum(g.getPowerSum() + power);
      g.setPowerN(g.getPowerN() + 1);
    }
    Double sm = f.getSmActive();
    if (sm != null) {
      g.setSmSum(g.getSmSum() + sm);
      g.setSmN(g.getSmN() + 1);
    }
    Double tensor = f.getTensorActive();
    if (tensor != null) {
      g.setTensorSum(g.getTensorSum() + tensor);
      g.setTensorN(g.getTensorN() + 1);
    }
    if (share == null) {
      return;
    }
    if (util != null) {
      addToHistogram(share.getHistBuckets(), share.getHistCounts(), tenth, 1);
      share.setUtilSum(share.getUtilSum() + util);
    }
    share.setSamples(share.getSamples() + 1);
    share.setIdleGpus(share.getIdleGpus() + idle(g) - wasIdle);
    share.setPowerW(share.getPowerW() + meanPower(g) - meanPowerBefore);
    share.setPowerGpus(share.getPowerGpus() + (g.getPowerN() > 0 ? 1 : 0) - (hadPower ? 1 : 0));
    if (sm != null) {
      share.setSmSum(share.getSmSum() + sm);
      share.setSmN(share.getSmN() + 1);
    }
    if (tensor != null) {
      share.setTensorSum(share.getTensorSum() + tensor);
      share.setTensorN(share.getTensorN() + 1);
    }
    share.setEnergyMj(share.getEnergyMj() + f.getEnergyDeltaMj());
    share.setXidGpus(share.getXidGpus() + (g.getXid() ? 1 : 0) - (hadXid ? 1 : 0));
    share.setUpdates(share.getUpdates() + 1);
  }

  /**
   * Adds ({@code sign} 1) or removes (-1) one GPU's window from its team's window. Mutates and
   * returns {@code t}: the store hands each call a freshly deserialized state.
   */
  static TeamFleetState plus(String key, TeamFleetState t, GpuMinuteState g, int sign) {
    if (t.getGpus() == 0 && t.getTeam().isEmpty()) {
      int first = key.indexOf('@');
      int last = key.lastIndexOf('@');
      t.setTeam(key.substring(0, first));
      t.setCluster(key.substring(first + 1, last));
      t.setWindowStartMs(Long.parseLong(key.substring(last + 1)));
      t.setHistBuckets(new ArrayList<>());
      t.setHistCounts(new ArrayList<>());
    }
    countUtilization(g);
    List<Integer> buckets = g.getUtilBuckets();
    List<Integer> counts = g.getUtilCounts();
    for (int i = 0; i < buckets.size(); i++) {
      addToHistogram(t.getHistBuckets(), t.getHistCounts(), buckets.get(i), sign * counts.get(i));
    }
    boolean hasPower = g.getPowerN() > 0;
    t.setGpus(t.getGpus() + sign);
    t.setSamples(t.getSamples() + sign * g.getSamples());
    t.setUtilSum(t.getUtilSum() + sign * g.getUtilSum());
    t.setIdleGpus(t.getIdleGpus() + sign * idle(g));
    t.setPowerW(t.getPowerW() + (hasPower ? sign * g.getPowerSum() / g.getPowerN() : 0));
    t.setPowerGpus(t.getPowerGpus() + (hasPower ? sign : 0));
    t.setSmSum(t.getSmSum() + sign * g.getSmSum());
    t.setSmN(t.getSmN() + sign * g.getSmN());
    t.setTensorSum(t.getTensorSum() + sign * g.getTensorSum());
    t.setTensorN(t.getTensorN() + sign * g.getTensorN());
    t.setEnergyMj(t.getEnergyMj() + sign * g.getEnergyMj());
    t.setXidGpus(t.getXidGpus() + (g.getXid() ? sign : 0));
    t.setUpdates(t.getUpdates() + (sign > 0 ? 1 : 0));
    return t;
  }

  /**
   * 1 if the GPU reported utilization in the minute and all of it was under the idle limit. Its
   * callers have counted {@code g}'s utilization ({@link #countUtilization}) first.
   */
  private static int idle(GpuMinuteState g) {
    return !g.getUtilBuckets().isEmpty() && g.getUtilMax() < IDLE_BELOW_PCT ? 1 : 0;
  }

  /** Samples that reported utilization: the histogram's total. */
  static long utilSamples(List<Integer> counts) {
    long n = 0;
    for (int c : counts) {
      n += c;
    }
    return n;
  }

  private static double meanPower(GpuMinuteState g) {
    return g.getPowerN() > 0 ? g.getPowerSum() / g.getPowerN() : 0;
  }

  /** Adds a sparse histogram to {@code sum}'s in one pass over both (both are ascending). */
  private static void mergeHistogram(
      TeamFleetState sum, List<Integer> buckets, List<Integer> counts) {
    List<Integer> b1 = sum.getHistBuckets();
    List<Integer> c1 = sum.getHistCounts();
    List<Integer> bOut = new ArrayList<>(b1.size() + buckets.size());
    List<Integer> cOut = new ArrayList<>(b1.size() + buckets.size());
    int i = 0;
    int j = 0;
    while (i < b1.size() || j < buckets.size()) {
      int x = i < b1.size() ? b1.get(i) : Integer.MAX_VALUE;
      int y = j < buckets.size() ? buckets.get(j) : Integer.MAX_VALUE;
      if (x < y) {
        bOut.add(x);
        cOut.add(c1.get(i++));
      } else if (y < x) {
        bOut.add(y);
        cOut.add(counts.get(j++));
      } else {
        bOut.add(x);
        cOut.add(c1.get(i++) + counts.get(j++));
      }
    }
    sum.setHistBuckets(bOut);
    sum.setHistCounts(cOut);
  }

  /** Sparse histogram: ascending buckets with their counts; empty buckets are removed. */
  static void addToHistogram(List<Integer> buckets, List<Integer> counts, int bucket, int delta) {
    int at = Collections.binarySearch(buckets, bucket);
    if (at >= 0) {
      int c = counts.get(at) + delta;
      if (c == 0) {
        buckets.remove(at);
        counts.remove(at);
      } else {
        counts.set(at, c);
      }
    } else if (delta > 0) {
      buckets.add(-at - 1, bucket);
      counts.add(-at - 1, delta);
    }
  }

  /** Nearest-rank 95th percentile from the sparse 0.1% histogram. */
  static double p95(List<Integer> buckets, List<Integer> counts, long samples) {
    long rank = (long) Math.ceil(0.95 * samples);
    long seen = 0;
    for (int i = 0; i < buckets.size(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return buckets.get(i) / 10.0;
      }
    }
    return 100.0;
  }

  static TeamFleetMinute toKpi(TeamFleetState s, TeamInfo team, Duration windowSize) {
    Integer allocation = team == null ? null : team.getGpuAllocation();
    long utilN = utilSamples(s.getHistCounts());
    return TeamFleetMinute.newBuilder()
        .setTeam(s.getTeam())
        .setCluster(s.getCluster())
        .setWindowStartMs(s.getWindowStartMs())
        .setWindowEndMs(s.getWindowStartMs() + windowSize.toMillis())
        .setGpusReporting(s.getGpus())
        .setSamples(s.getSamples())
        .setUtilizationMeanPct(utilN == 0 ? null : s.getUtilSum() / utilN)
        .setVersion(s.getUpdates())
        .setGpuAllocation(allocation)
        .setCoveragePct(
            allocation == null || allocation == 0 ? null : s.getGpus() * 100.0 / allocation)
        .setUtilizationP95Pct(utilN == 0 ? null : p95(s.getHistBuckets(), s.getHistCounts(), utilN))
        .setSmActiveMean(s.getSmN() == 0 ? null : s.getSmSum() / s.getSmN())
        .setTensorActiveMean(s.getTensorN() == 0 ? null : s.getTensorSum() / s.getTensorN())
        .setIdleGpus(s.getIdleGpus())
        .setPowerKw(s.getPowerGpus() == 0 ? null : s.getPowerW() / 1000)
        .setEnergyKwh(s.getEnergyMj() / 3.6e9)
        .setGpuHours(s.getGpus() * windowSize.toMillis() / 3_600_000.0)
        .setXidFaults(s.getXidGpus())
        .build();
  }
}
