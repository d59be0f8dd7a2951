package kai.telemetry.devtools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.simulator.GpuFleetSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Producer throughput of the GPU sample stream (Avro through the registry serializer, keyed by GPU
 * UUID) next to Kafka's own ProducerPerformance at the same record size, with the same producer
 * settings, against the same local broker. Prints both and their ratio.
 *
 * <p>Arguments: {@code records=N} (default 1,000,000), {@code gpus=N} (default 2,048).
 */
public final class ProducerBenchmark {
  private static final Pattern PERF =
      Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\)");

  private ProducerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    long records = Long.parseLong(a.getOrDefault("records", "1000000"));
    int gpus = Integer.parseInt(a.getOrDefault("gpus", "2048"));
    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench/producer-" + ProcessHandle.current().pid());
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free())) {
      Topics topics = Topics.withPrefix("bench.");
      Topic<String, GpuSample> topic = topics.gpuSamples;
      String perfTopic = "bench.producer-performance";
      stack
          .kafka()
          .createTopics(
              List.of(
                  topic.newTopic((short) 1),
                  new org.apache.kafka.clients.admin.NewTopic(
                      perfTopic, topic.partitions(), (short) 1)));
      Map<String, Object> simSettings = new HashMap<>();
      simSettings.putAll(stack.deployableSettings());
      simSettings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
      SimulatorConfig config = new SimulatorConfig(simSettings);
      SimulatorConfig uncompressed = new SimulatorConfig(withCompressionNone(simSettings));

      // A pool of real samples (every GPU, several ticks), cycled: generation is not measured.
      ProgramFile program = ProgramFile.launchDefault();
      GpuFleetSimulator fleet =
          new GpuFleetSimulator(program.activeTeams(), gpus / program.activeTeams().size(), 42);
      List<GpuSample> pool = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        pool.addAll(fleet.tick(t, System.currentTimeMillis() + t * 30_000L));
      }
      Serializer<GpuSample> serializer = topic.valueSerde(config.serdeConfig()).serializer();
      long bytes = 0;
      for (GpuSample s : pool) {
        bytes += serializer.serialize(topic.name(), s).length;
      }
      int recordSize = (int) Math.round(bytes / (double) pool.size());

      System.out.printf(
          "producer benchmark: %,d records cycling %,d distinct samples, average GpuSample %d bytes (Avro + 5-byte header)%n",
          records, pool.size(), recordSize);
      // Warm-up (JIT, connections, metadata), then the measured runs. With lz4 (the pipeline's
      // setting) real samples compress far better than ProducerPerformance's random payload,
      // so the uncompressed pair is the like-for-like one.
      // Both producers run in a child JVM of their own, so neither shares a heap with the broker.
      for (String compression : List.of("lz4", "none")) {
        List<String> oursArgs =
            new ArrayList<>(
                List.of(
                    OursMain.class.getName(),
                    stack.bootstrapServers(),
                    stack.schemaRegistryUrl(),
                    Long.toString(records),
                    Integer.toString(gpus),
                    compression));
        oursArgs.addAll(stack.deployableArgs()); // the broker's credentials
        double ours = child(oursArgs, records);
        double theirs =
            runProducerPerformance(
                compression.equals("lz4") ? config : uncompressed, perfTopic, records, recordSize);
        System.out.printf("compression.type=%s%n", compression);
        System.out.printf(
            "  kai GpuSample producer (Avro serializer, registry, keys): %,12.0f records/s%n",
            ours);
        System.out.printf(
            "  kafka ProducerPerformance (same size, same settings):     %,12.0f records/s%n",
            theirs);
        System.out.printf("  ratio: %.2f (target >= 0.80)%n", ours / theirs);
      }
    }
    BenchInput.deleteTree(dir); // the broker's logs; kept when a run fails
  }

  private static Map<String, Object> withCompressionNone(Map<String, Object> settings) {
    Map<String, Object> s = new HashMap<>(settings);
    s.put("kafka." + ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    return s;
  }

  private static double runOurs(
      SimulatorConfig config, Topic<String, GpuSample> topic, List<GpuSample> pool, long records) {
    Map<String, Object> p = config.producerConfig();
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long start = System.nanoTime();
    try (KafkaProducer<String, GpuSample> producer =
        new KafkaProducer<>(
            p,
            topic.keySerde(config.serdeConfig()).serializer(),
            topic.valueSerde(config.serdeConfig()).serializer())) {
      for (long i = 0; i < records; i++) {
        GpuSample s = pool.get((int) (i % pool.size()));
        producer.send(
            new ProducerRecord<>(topic.name(), null, s.getTsMs(), s.getGpuUuid(), s),
            (m, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                acked.incrementAndGet();
              }
            });
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException(failure.get());
    }
    return acked.get() / ((System.nanoTime() - start) / 1e9);
  }

  /** Kafka's ProducerPerformance in a child JVM (it may exit the JVM), parsed from its output. */
  private static double runProducerPerformance(
      SimulatorConfig config, String topic, long records, int recordSize)
      throws IOException, InterruptedException {
    Map<String, Object> p = config.producerConfig();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic",
                topic,
                "--num-records",
                Long.toString(records),
                "--record-size",
                Integer.toString(recordSize),
                "--throughput",
                "-1",
                "--producer.config"));
    // A file, not --producer-props: the SASL JAAS setting has '=' and spaces in its value.
    java.util.Properties props = new java.util.Properties();
    for (String key :
        List.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.COMPRESSION_TYPE_CONFIG,
            ProducerConfig.LINGER_MS_CONFIG,
            ProducerConfig.BATCH_SIZE_CONFIG,
            CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
            SaslConfigs.SASL_MECHANISM,
            SaslConfigs.SASL_JAAS_CONFIG)) {
      if (p.containsKey(key)) {
        props.setProperty(key, String.valueOf(p.get(key)));
      }
    }
    java.nio.file.Path file =
        java.nio.file.Files.createTempFile("producer-performance", ".properties");
    try (var out = java.nio.file.Files.newOutputStream(file)) {
      props.store(out, "ProducerPerformance, the same settings as the pipeline's producer");
    }
    file.toFile().deleteOnExit();
    cmd.add(file.toString());
    return child(cmd, records);
  }

  /**
   * Runs {@code mainAndArgs} in a child JVM on this classpath; parses "N records sent, X
   * records/sec".
   */
  private static double child(List<String> mainAndArgs, long records)
      throws IOException, InterruptedException {
    Process proc =
        BenchInput.childJvm(
                BenchInput.DEFAULT_JVM_OPTIONS,
                mainAndArgs.get(0),
                mainAndArgs.subList(1, mainAndArgs.size()))
            .start();
    double result = -1;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        Matcher m = PERF.matcher(line);
        if (m.find() && Long.parseLong(m.group(1)) == records) {
          result = Double.parseDouble(m.group(2));
        }
      }
    }
    if (proc.waitFor() != 0 || result < 0) {
      throw new IllegalStateException(
          mainAndArgs.get(0) + " failed (exit " + proc.exitValue() + ")");
    }
    return result;
  }

  /** The measured side: the GPU sample stream as the simulator produces it, in its own JVM. */
  public static final class OursMain {
    public static void main(String[] args) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(CommonSettings.BOOTSTRAP_SERVERS, args[0]);
      settings.put(CommonSettings.SCHEMA_REGISTRY_URL, args[1]);
      for (int i = 5; i < args.length; i++) { // key=value: the broker's credentials
        int eq = args[i].indexOf('=');
        settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
      long records = Long.parseLong(args[2]);
      int gpus = Integer.parseInt(args[3]);
      if (args[4].equals("none")) {
        settings = withCompressionNone(settings);
      }
      SimulatorConfig config = new SimulatorConfig(settings);
      Topic<String, GpuSample> topic = Topics.withPrefix("bench.").gpuSamples;
      ProgramFile program = ProgramFile.launchDefault();
      GpuFleetSimulator fleet =
          new GpuFleetSimulator(program.activeTeams(), gpus / program.activeTeams().size(), 42);
      List<GpuSample> pool = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        pool.addAll(fleet.tick(t, System.currentTimeMillis() + t * 30_000L));
      }
      runOurs(config, topic, pool, Math.min(records / 10, 100_000)); // warm-up
      double rate = runOurs(config, topic, pool, records);
      System.out.printf("%d records sent, %.1f records/sec (%.2f MB/sec)%n", records, rate, 0.0);
    }
  }
}
