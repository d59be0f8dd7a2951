package kai.telemetry.producers.collect.dcgm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.Parsed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes dcgm-exporter endpoints (Prometheus text on :9400/metrics) every interval and publishes
 * one GPU sample per GPU per scrape. An endpoint that does not answer is logged and retried next
 * round; the others go on.
 */
public final class DcgmScraper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DcgmScraper.class);

  private final CollectorConfig config;
  private final EventPublisher publisher;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final CountDownLatch stop = new CountDownLatch(1);

  public DcgmScraper(CollectorConfig config) {
    this.config = config;
    this.publisher = new EventPublisher(config, "dcgm-scraper", null);
  }

  /** Scrapes every endpoint once; returns the samples published. */
  public long scrapeOnce() {
    long before = publisher.published();
    DcgmSamples.Context ctx =
        new DcgmSamples.Context(
            config.team(),
            config.getString(CollectorConfig.CLUSTER),
            config.getString(CollectorConfig.DCGM_RUN_ID_LABEL).isBlank()
                ? null
                : config.getString(CollectorConfig.DCGM_RUN_ID_LABEL));
    for (String url : config.getList(CollectorConfig.DCGM_URLS)) {
      long now = System.currentTimeMillis();
      String body;
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          log.warn("{} answered HTTP {}; skipping this round", url, r.statusCode());
          continue;
        }
        body = r.body();
      } catch (IOException e) {
        log.warn("{} unreachable ({}); retrying next round", url, e.toString());
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return publisher.published() - before;
      }
      Parsed<GpuSample> parsed = DcgmSamples.fromScrape(body, url, ctx, now);
      publisher.gpuSamples(parsed, now);
    }
    publisher.flush();
    return publisher.published() - before;
  }

  public void run() {
    long interval = config.getLong(CollectorConfig.DCGM_INTERVAL_MS);
    long rounds = config.getLong(CollectorConfig.DCGM_ROUNDS);
    List<String> urls = config.getList(CollectorConfig.DCGM_URLS);
    log.info("scraping {} every {} ms for team {}", urls, interval, config.team());
    for (long round = 1; rounds == 0 || round <= rounds; round++) {
      long start = System.currentTimeMillis();
      long n = scrapeOnce();
      log.info("round {}: {} samples; {}", round, n, publisher.summary());
      try {
        if (stop.await(
            Math.max(0, start + interval - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  public void stop() {
    stop.countDown();
  }

  /** What it published and rejected so far. */
  public EventPublisher.Totals totals() {
    return publisher.totals();
  }

  @Override
  public void close() {
    publisher.close();
  }

  public static void main(String[] args) {
    CollectorExit.run(
        "dcgm-scraper",
        () -> {
          try (DcgmScraper scraper = new DcgmScraper(CollectorConfig.fromArgs(args))) {
            Thread main = Thread.currentThread();
            Runtime.getRuntime()
                .addShutdownHook(
                    new Thread(
                        () -> {
                          scraper.stop();
                          try {
                            main.join(15_000);
                          } catch (InterruptedException ignored) {
                            Thread.currentThread().interrupt();
                          }
                        }));
            scraper.run();
            return scraper.totals();
          }
        },
        java.util.List.of());
  }
}
