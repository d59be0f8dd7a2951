package kai.telemetry.devtools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.simulator.GpuFleetSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** What the benchmarks share: their {@code key=value} arguments and their input. */
final class BenchInput {
  private BenchInput() {}

  static Map<String, String> arguments(String[] args) {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      a.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    return a;
  }

  /**
   * Produces {@code records} samples of a simulated fleet of {@code gpus} GPUs (the launch teams),
   * tick after tick 30 s apart, starting a day ago (or earlier, so as to end by now); returns the
   * fleet's GPU count.
   */
  static int produceGpuSamples(
      SimulatorConfig sim, Topic<String, GpuSample> topic, long records, int gpus) {
    return produceGpuSamples(sim, topic, s -> topic.name(), records, gpus);
  }

  /** As above, each sample to the topic {@code topicOf} names (e.g. its team's intake). */
  static int produceGpuSamples(
      SimulatorConfig sim,
      Topic<String, GpuSample> topic,
      java.util.function.Function<GpuSample, String> topicOf,
      long records,
      int gpus) {
    ProgramFile program = ProgramFile.launchDefault();
    GpuFleetSimulator fleet =
        new GpuFleetSimulator(program.activeTeams(), gpus / program.activeTeams().size(), 7);
    // Ends now at the latest: brokers refuse timestamps far in the future.
    long ticks = (records + fleet.gpus().size() - 1) / fleet.gpus().size();
    long start =
        System.currentTimeMillis() - Math.max(Duration.ofDays(1).toMillis(), ticks * 30_000);
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaProducer<String, GpuSample> producer =
        new KafkaProducer<>(
            sim.producerConfig(),
            topic.keySerde(sim.serdeConfig()).serializer(),
            topic.valueSerde(sim.serdeConfig()).serializer())) {
      long sent = 0;
      for (long t = 0; sent < records && failed.get() == null; t++) {
        for (GpuSample s : fleet.tick(t, start + t * 30_000)) {
          if (sent++ >= records) {
            break;
          }
          producer.send(
              new ProducerRecord<>(topicOf.apply(s), null, s.getTsMs(), s.getGpuUuid(), s),
              (metadata, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                }
              });
        }
      }
    }
    if (failed.get() != null) {
      // A reader would otherwise wait for records that were never written.
      throw new IllegalStateException("writing the benchmark's input failed", failed.get());
    }
    return fleet.gpus().size();
  }

  /** Deletes a benchmark's folder (broker logs, state, tables): a run leaves gigabytes there. */
  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * A child JVM's options unless {@code jvm="..."} says otherwise: what bin/kai gives every
   * process.
   */
  static final String DEFAULT_JVM_OPTIONS = "-Xmx1g";

  /**
   * A process running {@code mainClass} with {@code args} in a JVM of its own, on this JVM's
   * classpath, with {@code jvmOptions} (space-separated); its output merged into stdout.
   */
  static ProcessBuilder childJvm(String jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : jvmOptions.split(" ")) {
      if (!option.isBlank()) {
        cmd.add(option);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("LD_PRELOAD"); // a preloaded library is the parent's, not the child's
    return pb;
  }
}
