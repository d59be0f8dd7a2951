package kai.telemetry.producers.collect.nvidiasmi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
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
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = input.read(buf)) >= 0) {
        publish(csv, lines.feed(buf, n), source, publisher);
        if (input.available() == 0) {
          publisher.flush(); // a pause in a live stream: make what came visible now
        }
      }
      if (lines.pendingBytes() > 0) {
        publish(csv, lines.feed(new byte[] {'\n'}, 1), source, publisher); // no final newline
      }
      publisher.flush();
      return publisher.totals();
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
    CollectorExit.run(
        "nvidia-smi",
        () -> {
          CollectorConfig config = CollectorConfig.fromArgs(args);
          String input = config.getString(CollectorConfig.SMI_INPUT);
          InputStream in = input.equals("-") ? System.in : Files.newInputStream(Path.of(input));
          try {
            return read(config, in, input.equals("-") ? "stdin" : input);
          } catch (UncheckedIOException e) {
            throw e.getCause();
          }
        },
        java.util.List.of());
  }
}
