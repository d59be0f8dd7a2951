package kai.telemetry.producers.collect.nvidiasmi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.Parsed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads nvidia-smi CSV from a file or from standard input, e.g. {@code nvidia-smi
 * --query-gpu=timestamp,index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu
 * --format=csv -lms 1000 | collect nvidia-smi ...}, publishing a GPU sample per data line as it
 * arrives. Unreadable lines are reported with their line number and rejected; reading goes on.
 */
public final class NvidiaSmiReader {
  private static final Logger log = LoggerFactory.getLogger(NvidiaSmiReader.class);

  private NvidiaSmiReader() {}

  /** Reads {@code in} to its end; returns the publisher's counts. */
  public static EventPublisher.Totals read(CollectorConfig config, Reader in, String source)
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
                ZoneId.of(config.getString(CollectorConfig.SMI_TIMEZONE))),
            source,
            config.getList(CollectorConfig.SMI_COLUMNS));
    try (EventPublisher publisher = new EventPublisher(config, "nvidia-smi", null);
        BufferedReader lines = new BufferedReader(in)) {
      String line;
      int lineNo = 0;
      while ((line = lines.readLine()) != null) {
        lineNo++;
        long now = System.currentTimeMillis();
        Parsed<GpuSample> parsed = new Parsed<>();
        csv.line(line, lineNo, now, parsed);
        publisher.gpuSamples(parsed, now);
        if (!lines.ready()) {
          publisher.flush(); // a pause in a live stream: make what came visible now
        }
      }
      publisher.flush();
      return publisher.totals();
    }
  }

  public static void main(String[] args) {
    CollectorExit.run(
        "nvidia-smi",
        () -> {
          CollectorConfig config = CollectorConfig.fromArgs(args);
          String input = config.getString(CollectorConfig.SMI_INPUT);
          Reader in =
              input.equals("-")
                  ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                  : Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
          try {
            return read(config, in, input.equals("-") ? "stdin" : input);
          } catch (UncheckedIOException e) {
            throw e.getCause();
          }
        },
        java.util.List.of());
  }
}
