package kai.telemetry.producers.program;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.schemas.Topic;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;

/** What the program office's commands share: their input files, the reference topics, sending. */
final class ProgramOffice {
  /** The largest input file a command reads: far above any program's, and a bound on memory. */
  static final long MAX_FILE_BYTES = 16L << 20;

  private ProgramOffice() {}

  /** One line of a CSV after its header, numbered as an editor shows it. */
  record Line(int number, String text) {}

  /**
   * The non-blank lines after the header of CSV {@code file}; refuses a file above {@link
   * #MAX_FILE_BYTES}, one whose first line is not {@code header}, or one that holds no line.
   */
  static List<Line> csv(Path file, String header, String... alsoAccepted) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IllegalArgumentException(
            file + " is larger than " + (MAX_FILE_BYTES >> 20) + " MB");
      }
      List<Line> lines = new ArrayList<>();
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String first = in.readLine();
        if (first != null && first.startsWith("\uFEFF")) {
          first = first.substring(1); // a byte-order mark, as spreadsheets write
        }
        String given = first == null ? null : first.strip().replace(" ", "");
        if (given == null
            || !(given.equals(header) || java.util.Arrays.asList(alsoAccepted).contains(given))) {
          throw new IllegalArgumentException(file + ": the first line must be " + header);
        }
        String line;
        int n = 1;
        while ((line = in.readLine()) != null) {
          n++;
          if (!line.isBlank()) {
            lines.add(new Line(n, line));
          }
        }
      }
      if (lines.isEmpty()) {
        throw new IllegalArgumentException(file + " holds no line after its header");
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Sends {@code records} and waits until the broker acknowledged every one. */
  static <V> void sendAll(
      KafkaProducer<String, V> producer, List<ProducerRecord<String, V>> records) {
    List<Future<?>> acks = new ArrayList<>();
    for (ProducerRecord<String, V> r : records) {
      acks.add(producer.send(r));
    }
    producer.flush();
    try {
      for (Future<?> ack : acks) {
        ack.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("sending failed: " + e.getCause(), e.getCause());
    }
  }

  /** The newest value per key of a compacted reference topic, read to its end. */
  static <V extends SpecificRecordBase> Map<String, V> current(
      AbstractConfig config, Topic<String, V> topic, Map<String, Object> serde) {
    Map<String, V> latest = new LinkedHashMap<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(
            KafkaClients.of(config).consumer("kai-publish-program", null, Map.of()),
            topic.keySerde(serde).deserializer(),
            topic.valueSerde(serde).deserializer())) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic.name(), p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic.name() + " to its end in 60 s");
        }
        for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            latest.remove(r.key());
          } else {
            latest.put(r.key(), r.value());
          }
        }
      }
    }
    return latest;
  }
}
