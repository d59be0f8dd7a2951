package kai.telemetry.devtools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Whether the pipeline keeps up, measured rather than assumed: each stage's consumer lag (records
 * its group has not committed yet, over every partition it reads) and how far the newest fleet KPI
 * minute of each team is behind the clock. "Healthy" only within the documented bounds: every
 * process running, every stage at most {@link #MAX_LAG} records behind, every team's newest fleet
 * minute ending at most {@link #MAX_KPI_BEHIND_MS} before now.
 */
final class PipelineHealth {
  /** Records a stage may have read less than was written, summed over its partitions. */
  static final long MAX_LAG = 10_000;

  /** How far the newest fleet KPI minute of a team may end before now (window + emit + sink). */
  static final long MAX_KPI_BEHIND_MS = 120_000;

  /** One stage: its name and consumer group. */
  record Stage(String name, String group) {}

  /** What was measured, and why it is not healthy (empty when it is). */
  record Report(Map<String, Long> lag, Map<String, Long> kpiBehindMs, List<String> problems) {
    boolean healthy() {
      return problems.isEmpty();
    }
  }

  private PipelineHealth() {}

  /** Each stage's lag: end offsets of the partitions its group committed on, less its offsets. */
  static Map<String, Long> lag(Admin admin, List<Stage> stages) {
    Map<String, Long> lag = new LinkedHashMap<>();
    try {
      for (Stage s : stages) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(s.group()).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
            latest.isEmpty() ? Map.of() : admin.listOffsets(latest).all().get();
        long behind = 0;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
          if (e.getValue() != null && ends.containsKey(e.getKey())) {
            behind += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
          }
        }
        lag.put(s.name(), behind);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read consumer lag: " + e.getCause(), e.getCause());
    }
    return lag;
  }

  /**
   * The verdict: {@code running} whether every process runs, {@code lag} per stage, {@code
   * kpiBehindMs} per team (now less the end of its newest fleet minute).
   */
  static Report judge(boolean running, Map<String, Long> lag, Map<String, Long> kpiBehindMs) {
    List<String> problems = new ArrayList<>();
    if (!running) {
      problems.add("a process stopped (see log)");
    }
    lag.forEach(
        (stage, n) -> {
          if (n > MAX_LAG) {
            problems.add(stage + " " + String.format("%,d", n) + " records behind");
          }
        });
    kpiBehindMs.forEach(
        (team, ms) -> {
          if (ms > MAX_KPI_BEHIND_MS) {
            problems.add("fleet KPIs of " + team + " " + ms / 1000 + " s behind");
          }
        });
    return new Report(lag, kpiBehindMs, problems);
  }
}
