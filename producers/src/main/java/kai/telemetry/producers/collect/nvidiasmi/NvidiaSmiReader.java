package kai.telemetry.producers.collect.nvidiasmi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.InputChunks;
import kai.telemetry.producers.collect.Parsed;
import kai.telemetry.producers.collect.TextLines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads nvidia-smi CSV from a file or from standard input, e.g. {@code nvidia-smi
 * --query-gpu=timestamp,index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu
 * --format=csv -lms 1000 | collect nvidia-smi ...}, publishing a GPU sample per data line as it
 * arrives. Unreadable lines (and overlong or invalid UTF-8 ones, see {@link TextLines}) are
 * reported with their line number and rejected; reading goes on.
 */
public final class NvidiaSmiReader {
  private static final Logger log = LoggerFactory.getLogger(NvidiaSmiReader.class);

  private NvidiaSmiReader() {}

  /** Reads {@code in} to its end; returns the publisher's counts. */
  public static EventPublisher.Totals read(CollectorConfig config, InputStream in, String source)
      throws IOException {
    return read(config, in, source, new CountDownLatch(1));
  }

  /**
   * Reads {@code in} to its end, or until {@code stop} is counted down (what was read by then is
   * published); returns the publisher's counts.
   */
  public static EventPublisher.Totals read(
      CollectorConfig config, InputStream in, String source, CountDownLatch stop)
      throws IOException {
    String node = config.getString(CollectorConfig.SMI_NODE);
    if (node.isBlank()) {
      node = InetAddress.getLocalHost().getHostName();
    }
    NvidiaSmiCsv csv =
        new NvidiaSmiCsv(
            new NvidiaSmiCsv.Context(
                config.team(),
                config.getString(CollectorConfig.CLUSTER),
                node,
                ZoneId.of(config.getString(CollectorConfig.SMI_TIMEZONE)),
                config.getInt(CollectorConfig.SMI_GPUS)),
            source,
            config.getList(CollectorConfig.SMI_COLUMNS));
    try (EventPublisher publisher = new EventPublisher(config, "nvidia-smi", null);
        InputStream input = in) {
      TextLines lines = new TextLines(config.getInt(CollectorConfig.MAX_LINE_BYTES), 0, 0);
      InputChunks chunks = new InputChunks(input, "nvidia-smi");
      InputChunks.Chunk chunk;
      while (!(chunk = chunks.next(stop)).end()) {
        publish(csv, lines.feed(chunk.bytes(), chunk.length()), source, publisher);
        if (chunks.idle()) {
          publisher.flush(); // a pause in a live stream: make what came visible now
        }
      }
      if (stop.getCount() == 0) {
        log.info("nvidia-smi: stopped on request after {} lines of {}", lines.lines(), source);
      }
      if (lines.pendingBytes() > 0) {
        publish(csv, lines.feed(new byte[] {'\n'}, 1), source, publisher); // no final newline
      }
      publisher.flush();
      return publisher.totals();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading " + source, e);
    }
  }

  private static void publish(
      NvidiaSmiCsv csv, List<TextLines.Line> lines, String source, EventPublisher publisher) {
    long now = System.currentTimeMillis();
    Parsed<GpuSample> parsed = new Parsed<>();
    for (TextLines.Line line : lines) {
      if (line.ok()) {
        csv.line(line.text(), (int) line.number(), now, parsed);
      } else {
        parsed.problem(source + ":" + line.number(), line.problem(), line.raw());
      }
    }
    publisher.gpuSamples(parsed, now);
  }

  public static void main(String[] args) {
    CollectorExit.runUntilStopped(
        "nvidia-smi",
        stop -> {
          CollectorConfig config = CollectorConfig.fromArgs(args);
          String input = config.getString(CollectorConfig.SMI_INPUT);
          InputStream in = input.equals("-") ? System.in : Files.newInputStream(Path.of(input));
          CountDownLatch stopped = new CountDownLatch(1);
          stop.attach(stopped::countDown);
          try {
            return read(config, in, input.equals("-") ? "stdin" : input, stopped);
          } catch (UncheckedIOException e) {
            throw e.getCause();
          }
        },
        java.util.List.of());
  }
}
