package kai.telemetry.devtools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kai.telemetry.streams.alerts.AlertsJob;
import kai.telemetry.streams.fleet.FleetKpiJob;
import kai.telemetry.streams.intake.IntakeJob;
import kai.telemetry.streams.program.ScoreboardJob;
import kai.telemetry.streams.training.TrainingKpiJob;

/**
 * CPU time of this JVM's threads, summed per pipeline stage by thread name, for stages that share
 * one process: each job's stream and client threads carry its application id, the sink's its client
 * id and thread names, the load's its client ids. What matches none (the broker, GC, the JIT) is
 * "broker and JVM". Threads that ended before a reading are not in it, so take readings while the
 * stages run.
 */
final class ThreadCpu {
  /** Stage name to the thread-name fragments that mark it, in matching order. */
  private static final Map<String, List<String>> STAGES = new LinkedHashMap<>();

  static {
    STAGES.put("intake job", List.of(IntakeJob.JOB));
    STAGES.put("fleet KPI job", List.of(FleetKpiJob.JOB));
    STAGES.put("training KPI job", List.of(TrainingKpiJob.JOB));
    STAGES.put("scoreboard job", List.of(ScoreboardJob.JOB));
    STAGES.put("alerts job", List.of(AlertsJob.JOB));
    STAGES.put("sink", List.of("clickhouse-sink", "clickhouse-retention"));
    STAGES.put("load (producers)", List.of("e2e-load"));
  }

  static final String OTHER = "broker and other Java threads";

  /** CPU of this JVM's own native threads (garbage collection, the JIT compiler). */
  static final String NATIVE = "GC and JIT";

  private ThreadCpu() {}

  /** CPU nanoseconds per stage now (live threads), stages in a fixed order, the rest last. */
  static Map<String, Long> now() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new LinkedHashMap<>();
    STAGES.keySet().forEach(s -> out.put(s, 0L));
    out.put(OTHER, 0L);
    long[] ids = mx.getAllThreadIds();
    ThreadInfo[] infos = mx.getThreadInfo(ids);
    long java = 0;
    for (int i = 0; i < ids.length; i++) {
      long cpu = mx.getThreadCpuTime(ids[i]);
      if (infos[i] == null || cpu < 0) {
        continue; // ended meanwhile, or not measurable
      }
      out.merge(stageOf(infos[i].getThreadName()), cpu, Long::sum);
      java += cpu;
    }
    // The process's CPU less its Java threads' is its native threads': GC and the JIT.
    long process = processCpuNanos(ProcessHandle.current().pid());
    out.put(NATIVE, process < 0 ? 0 : Math.max(0, process - java));
    ProcessHandle.current()
        .children()
        .forEach(
            p -> {
              String cmd = p.info().commandLine().orElse("");
              String name =
                  cmd.contains("clickhouse")
                      ? "ClickHouse"
                      : cmd.contains("apicurio") || cmd.contains("registry")
                          ? "schema registry"
                          : "process " + p.pid();
              long cpu = processCpuNanos(p.pid());
              if (cpu >= 0) {
                out.merge(name, cpu, Long::sum);
              }
            });
    return out;
  }

  /** User plus system CPU of a process from /proc, in nanoseconds (-1 when unreadable). */
  static long processCpuNanos(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(") ") + 2).split(" ");
      // Fields 14 and 15 (utime, stime) in clock ticks, 100 a second on Linux.
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  static String stageOf(String threadName) {
    for (Map.Entry<String, List<String>> e : STAGES.entrySet()) {
      for (String fragment : e.getValue()) {
        if (threadName.contains(fragment)) {
          return e.getKey();
        }
      }
    }
    return OTHER;
  }

  /**
   * "stage 12.3 s (0.41 cores)" per stage, from two readings {@code seconds} apart, and the total
   * against the machine's cores.
   */
  static String between(Map<String, Long> before, Map<String, Long> after, double seconds) {
    StringBuilder b = new StringBuilder();
    double total = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      double s = (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / 1e9;
      total += s;
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append(String.format(Locale.ROOT, "%s %.1f s (%.2f cores)", e.getKey(), s, s / seconds));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "; in all %.2f of this machine's %d cores",
            total / seconds,
            Runtime.getRuntime().availableProcessors()));
    return b.toString();
  }
}
