package kai.telemetry.producers.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.program.Team;

/**
 * Generates GPU samples for a set of teams, deterministically: a sample depends only on the seed,
 * the GPU and the tick, never on call order, so any run with the same seed reproduces the same
 * records.
 *
 * <p>Behaviour: each team trains most of the time (utilization ~80-100%), with idle stretches (a
 * few % utilization) that start at random ticks and last a few ticks; a GPU's power and temperature
 * follow its utilization.
 */
public final class GpuFleetSimulator {
  public static final int GPUS_PER_NODE = 8;
  private static final double H100_MEM_MIB = 81_559;

  /** One simulated GPU. */
  public record SimGpu(
      Team team, String cluster, String node, int index, String uuid, int ordinal) {}

  private final long seed;
  private final List<SimGpu> gpus;
  private final long[] energyMj;
  private long lastTsMs = Long.MIN_VALUE;

  public GpuFleetSimulator(List<Team> teams, int gpusPerTeam, long seed) {
    if (gpusPerTeam < 1) {
      throw new IllegalArgumentException("gpus per team must be at least 1, got " + gpusPerTeam);
    }
    this.seed = seed;
    List<SimGpu> all = new ArrayList<>();
    int ordinal = 0;
    for (Team team : teams) {
      int count = Math.min(gpusPerTeam, Math.max(1, team.gpuAllocation()));
      String cluster = team.id() + "-c1";
      for (int i = 0; i < count; i++) {
        String node = String.format("%s-node-%03d", team.id(), i / GPUS_PER_NODE);
        String uuid =
            "GPU-"
                + UUID.nameUUIDFromBytes(
                    (seed + "/" + cluster + "/" + i).getBytes(StandardCharsets.UTF_8));
        all.add(new SimGpu(team, cluster, node, i % GPUS_PER_NODE, uuid, ordinal++));
      }
    }
    this.gpus = List.copyOf(all);
    this.energyMj = new long[all.size()];
    for (int i = 0; i < energyMj.length; i++) {
      // Counters start wherever the driver was loaded; not at zero.
      energyMj[i] =
          1_000_000_000L + new SplittableRandom(mix(seed, i, -7)).nextLong(0, 5_000_000_000L);
    }
  }

  public List<SimGpu> gpus() {
    return gpus;
  }

  /** The samples of every GPU for tick {@code tick}, stamped {@code tsMs}; no runs modelled. */
  public List<GpuSample> tick(long tick, long tsMs) {
    return tick(tick, tsMs, java.util.Map.of());
  }

  /**
   * The samples of every GPU for tick {@code tick}: a team whose run is down shows idle GPUs, and
   * the GPU that faulted reports its XID. The energy counter grows by power x time between
   * consecutive ticks.
   */
  public List<GpuSample> tick(
      long tick, long tsMs, java.util.Map<String, TrainingRunSimulator.Tick> runs) {
    long elapsedMs = lastTsMs == Long.MIN_VALUE ? 0 : Math.max(0, tsMs - lastTsMs);
    lastTsMs = tsMs;
    List<GpuSample> out = new ArrayList<>(gpus.size());
    int indexInTeam = 0;
    String team = null;
    for (SimGpu gpu : gpus) {
      indexInTeam = gpu.team().id().equals(team) ? indexInTeam + 1 : 0;
      team = gpu.team().id();
      TrainingRunSimulator.Tick run = runs.get(team);
      boolean down = run != null && run.down();
      Integer xid =
          run != null && run.faultyGpuIndex() != null && run.faultyGpuIndex() == indexInTeam
              ? run.xid()
              : Integer.valueOf(0);
      GpuSample s = sample(gpu, tick, tsMs, down, xid);
      energyMj[gpu.ordinal()] += Math.round(s.getPowerW() * elapsedMs);
      s.setEnergyMj(energyMj[gpu.ordinal()]);
      out.add(s);
    }
    return out;
  }

  private GpuSample sample(SimGpu gpu, long tick, long tsMs, boolean runDown, Integer xid) {
    SplittableRandom r = new SplittableRandom(mix(seed, gpu.ordinal(), tick));
    boolean idle = runDown || teamIdle(gpu.team().id(), tick);
    double util =
        idle ? round1(r.nextDouble(0, 5)) : round1(Math.min(100, 78 + r.nextDouble(0, 22)));
    double power = round1(70 + util * 6.3 + r.nextDouble(0, 15));
    double temp = round1(32 + util * 0.42 + r.nextDouble(0, 3));
    double memUsed = idle ? 1_024 : round1(H100_MEM_MIB * (0.80 + r.nextDouble(0, 0.15)));
    return GpuSample.newBuilder()
        .setTeam(gpu.team().id())
        .setCluster(gpu.cluster())
        .setNode(gpu.node())
        .setGpuUuid(gpu.uuid())
        .setGpuIndex(gpu.index())
        .setTsMs(tsMs)
        .setUtilizationPct(util)
        .setMemUsedMib(memUsed)
        .setMemTotalMib(H100_MEM_MIB)
        .setPowerW(power)
        .setTemperatureC(temp)
        .setModelName(gpu.team().gpuType().equals("B200") ? "NVIDIA B200" : "NVIDIA H100 80GB HBM3")
        .setMemFreeMib(round1(H100_MEM_MIB - memUsed))
        .setGrEngineActive(round3(util / 100))
        .setSmActive(round3(util / 100 * 0.92))
        .setTensorActive(round3(idle ? 0 : util / 100 * r.nextDouble(0.45, 0.6)))
        .setDramActive(round3(idle ? 0 : util / 100 * r.nextDouble(0.3, 0.45)))
        .setMemCopyUtilPct(round1(idle ? 0 : util * r.nextDouble(0.3, 0.5)))
        .setMemoryTemperatureC(round1(temp - 8))
        .setSmClockMhz(idle ? 345.0 : 1980.0)
        .setXidLast(xid)
        .build();
  }

  /** A team is idle for 3 ticks after an idle start, which happens with 2% chance per tick. */
  private boolean teamIdle(String team, long tick) {
    for (long t = Math.max(0, tick - 2); t <= tick; t++) {
      if (new SplittableRandom(mix(seed, team.hashCode(), -1 - t)).nextDouble() < 0.02) {
        return true;
      }
    }
    return false;
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static long mix(long a, long b, long c) {
    long h = a * 0x9E3779B97F4A7C15L;
    h ^= b + 0x632BE59BD9B4E019L + (h << 6) + (h >>> 2);
    h ^= c * 0xBF58476D1CE4E5B9L + (h << 6) + (h >>> 2);
    return h;
  }
}
