package kai.telemetry.producers.collect.dcgm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.collect.CollectorExit;
import kai.telemetry.producers.collect.EventPublisher;
import kai.telemetry.producers.collect.Parsed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes dcgm-exporter endpoints (Prometheus text on :9400/metrics) every interval and publishes
 * one GPU sample per GPU per scrape. Endpoints are scraped concurrently, each within {@code
 * dcgm.timeout.ms} and a size cap: one that does not answer, stalls or sends too much is logged and
 * retried next round; the others go on.
 */
public final class DcgmScraper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DcgmScraper.class);

  /** The largest scrape accepted: far above a 72-GPU node's page (about 1 MB). */
  static final long MAX_RESPONSE_BYTES = 32L << 20;

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
    // Every endpoint at once, each within its own time and size budget: a stalled or endless one
    // costs its own samples this round, never the others'.
    long timeoutMs = config.getLong(CollectorConfig.DCGM_TIMEOUT_MS);
    List<String> urls = config.getList(CollectorConfig.DCGM_URLS);
    List<CompletableFuture<HttpResponse<byte[]>>> inflight = new ArrayList<>();
    for (String url : urls) {
      inflight.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMs)).build(),
              capped(MAX_RESPONSE_BYTES)));
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (int i = 0; i < urls.size(); i++) {
      String url = urls.get(i);
      CompletableFuture<HttpResponse<byte[]>> f = inflight.get(i);
      HttpResponse<byte[]> r;
      try {
        r = awaitOrStop(f, deadline);
        if (r == null) {
          // Asked to stop (SIGTERM) mid-round: a stalled endpoint must not hold the exit.
          inflight.forEach(x -> x.cancel(true));
          return publisher.published() - before;
        }
      } catch (TimeoutException e) {
        f.cancel(true);
        log.warn("{} did not answer in full within {} ms; skipping this round", url, timeoutMs);
        continue;
      } catch (ExecutionException e) {
        log.warn("{} failed ({}); retrying next round", url, e.getCause().toString());
        continue;
      } catch (InterruptedException e) {
        inflight.forEach(x -> x.cancel(true));
        Thread.currentThread().interrupt();
        return publisher.published() - before;
      }
      if (r.statusCode() != 200) {
        log.warn("{} answered HTTP {}; skipping this round", url, r.statusCode());
        continue;
      }
      long now = System.currentTimeMillis();
      Parsed<GpuSample> parsed =
          DcgmSamples.fromScrape(new String(r.body(), StandardCharsets.UTF_8), url, ctx, now);
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

  /**
   * The response, waiting until {@code deadline} (nanoTime) in short slices so that a stop request
   * ends the wait; null when asked to stop.
   */
  private HttpResponse<byte[]> awaitOrStop(CompletableFuture<HttpResponse<byte[]>> f, long deadline)
      throws TimeoutException, ExecutionException, InterruptedException {
    long slice = TimeUnit.MILLISECONDS.toNanos(200);
    while (true) {
      if (stop.getCount() == 0) {
        return null;
      }
      long left = deadline - System.nanoTime();
      try {
        // A response already complete is taken even past the deadline (the round's endpoints
        // share one deadline, and a fast one must not lose to a slow one before it).
        return f.get(Math.max(0, Math.min(left, slice)), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        if (left <= slice) {
          throw e;
        }
      }
    }
  }

  public void stop() {
    stop.countDown();
  }

  /**
   * A response body of at most {@code max} bytes: a larger one fails (and stops downloading)
   * instead of filling the heap.
   */
  static HttpResponse.BodyHandler<byte[]> capped(long max) {
    return info ->
        new HttpResponse.BodySubscriber<>() {
          private final ByteArrayOutputStream out = new ByteArrayOutputStream();
          private final CompletableFuture<byte[]> body = new CompletableFuture<>();
          private Flow.Subscription subscription;

          @Override
          public CompletionStage<byte[]> getBody() {
            return body;
          }

          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
              if (body.isDone()) {
                return;
              }
              if (out.size() + (long) b.remaining() > max) {
                subscription.cancel();
                body.completeExceptionally(
                    new IOException("response larger than " + max + " bytes"));
                return;
              }
              byte[] a = new byte[b.remaining()];
              b.get(a);
              out.writeBytes(a);
            }
          }

          @Override
          public void onError(Throwable t) {
            body.completeExceptionally(t);
          }

          @Override
          public void onComplete() {
            body.complete(out.toByteArray());
          }
        };
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
    CollectorExit.runUntilStopped(
        "dcgm-scraper",
        stop -> {
          try (DcgmScraper scraper = new DcgmScraper(CollectorConfig.fromArgs(args))) {
            stop.attach(scraper::stop);
            scraper.run();
            return scraper.totals();
          }
        },
        java.util.List.of());
  }
}
