package kai.telemetry.producers.collect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.dcgm.DcgmScraper;
import kai.telemetry.producers.collect.lmeval.LmEvalImporter;
import kai.telemetry.producers.collect.nvidiasmi.NvidiaSmiReader;
import kai.telemetry.producers.collect.traininglog.TrainingLogFollower;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The collectors against the real broker and registry. */
@ExtendWith(RealStackExtension.class)
class CollectorsIT {
  private TestNamespace ns;
  private Topics topics;

  @BeforeEach
  void topics(LocalStack stack) throws Exception {
    ns = TestNamespace.of(CollectorsIT.class);
    topics = Topics.withPrefix(ns.topicPrefix());
    List<kai.telemetry.schemas.Topic<?, ?>> all = new java.util.ArrayList<>(topics.all());
    all.addAll(topics.team("lg-ai-research").all());
    all.addAll(topics.team("upstage").all());
    all.addAll(topics.team("sk-telecom").all());
    stack.kafka().createTopics(all.stream().map(t -> t.newTopic((short) 1)).toList());
  }

  private Map<String, Object> settings(LocalStack stack, String team) {
    Map<String, Object> s = new HashMap<>();
    s.putAll(stack.deployableSettings());
    s.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    s.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    s.put(CollectorConfig.TEAM, team);
    s.put(CollectorConfig.CLUSTER, team + "-c1");
    return s;
  }

  @Test
  void dcgmScraperPublishesEachGpuAndRejectsWhatItCannotRead(LocalStack stack) throws Exception {
    byte[] body = Fixtures.read("dcgm-exporter-h100.txt").getBytes(StandardCharsets.UTF_8);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/metrics",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    // An endpoint that sends its headers and a few bytes, then stalls for good.
    java.util.concurrent.atomic.AtomicInteger stalledHits =
        new java.util.concurrent.atomic.AtomicInteger();
    server.createContext(
        "/stalled",
        ex -> {
          stalledHits.incrementAndGet();
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody()
              .write("# HELP DCGM_FI_DEV_GPU_UTIL".getBytes(StandardCharsets.UTF_8));
          ex.getResponseBody().flush();
          try {
            Thread.sleep(30_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    server.setExecutor(
        java.util.concurrent.Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-exporter");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    try {
      Map<String, Object> s = settings(stack, "lg-ai-research");
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      s.put(
          CollectorConfig.DCGM_URLS,
          base + "/stalled," + base + "/metrics,http://127.0.0.1:1/metrics");
      s.put(CollectorConfig.DCGM_ROUNDS, 2L);
      s.put(CollectorConfig.DCGM_INTERVAL_MS, 200L);
      s.put(CollectorConfig.DCGM_TIMEOUT_MS, 1_500L);
      long start = System.nanoTime();
      try (DcgmScraper scraper = new DcgmScraper(new CollectorConfig(s))) {
        scraper.run();
      }
      // The stalled endpoint costs its own budget each round, and starves no other.
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(java.time.Duration.ofSeconds(10));

      // Asked to stop (SIGTERM's hook) while waiting on a stalled endpoint with a long budget,
      // the scraper ends within a second, not at the end of the budget.
      s.put(CollectorConfig.DCGM_URLS, base + "/stalled");
      s.put(CollectorConfig.DCGM_TIMEOUT_MS, 60_000L);
      s.put(CollectorConfig.DCGM_ROUNDS, 5L);
      try (DcgmScraper stalled = new DcgmScraper(new CollectorConfig(s))) {
        Thread t =
            new Thread(
                () -> {
                  try {
                    stalled.run();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                "scraper-on-a-stalled-endpoint");
        int hitsBefore = stalledHits.get();
        t.start();
        Await.until(
            "the scraper to wait on the stalled endpoint",
            java.time.Duration.ofSeconds(10),
            () -> stalledHits.get() > hitsBefore);
        long asked = System.nanoTime();
        stalled.stop();
        t.join(5_000);
        assertThat(t.isAlive()).as("scraper still waiting on the stalled endpoint").isFalse();
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - asked))
            .isLessThan(java.time.Duration.ofSeconds(2));
      }
    } finally {
      server.stop(0);
    }
    List<ConsumerRecord<String, GpuSample>> samples =
        TopicReader.readAll(stack, topics.team("lg-ai-research").gpuSamples);
    assertThat(samples).hasSize(4); // 2 GPUs x 2 rounds; the dead and stalled endpoints only logged
    assertThat(samples).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getGpuUuid()));
    assertThat(samples).allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(r.value().getTsMs()));
    assertThat(samples)
        .extracting(r -> r.value().getXidLast())
        .containsExactlyInAnyOrder(0, 79, 0, 79);
    List<ConsumerRecord<String, RejectedRecord>> rejects =
        TopicReader.readAll(stack, topics.team("lg-ai-research").collectorRejects);
    assertThat(rejects).hasSize(4);
    assertThat(rejects.get(0).value().getCollector()).isEqualTo("dcgm-scraper");
    assertThat(rejects.get(0).value().getSource()).endsWith("/metrics:54");
  }

  @Test
  void aCollectorOfATeamWhoseIntakeIsNotProvisionedSaysSoAtStart(LocalStack stack) {
    Map<String, Object> s = settings(stack, "new-team");
    s.put("kafka.max.block.ms", 2_000);
    assertThatThrownBy(
            () ->
                NvidiaSmiReader.read(
                    new CollectorConfig(s),
                    new java.io.ByteArrayInputStream(new byte[0]),
                    "smi.csv"))
        .hasMessageContaining("kai.team.new-team.collector-rejects.v1 does not exist")
        .hasMessageContaining("provision.teams=...,new-team");
  }

  @Test
  void nvidiaSmiReaderPublishesGoodLinesAndRejectsBadOnesWithTheirLine(LocalStack stack)
      throws Exception {
    Map<String, Object> s = settings(stack, "upstage");
    s.put(CollectorConfig.SMI_NODE, "node-3");
    String summary =
        NvidiaSmiReader.read(
                new CollectorConfig(s),
                new java.io.ByteArrayInputStream(
                    Fixtures.read("nvidia-smi-query.csv")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "smi.csv")
            .summary();
    assertThat(summary)
        .startsWith("nvidia-smi: published 3 (3 GPU samples), rejected 2 (of which 1 unreadable)")
        .contains("\n  rejected: 1 x utilization_pct N is outside N..N");
    assertThat(TopicReader.readAll(stack, topics.team("upstage").gpuSamples))
        .extracting(r -> r.value().getUtilizationPct())
        .containsExactlyInAnyOrder(97.0, 0.0, null);
    assertThat(TopicReader.readAll(stack, topics.team("upstage").collectorRejects))
        .extracting(r -> r.value().getReason())
        .anySatisfy(
            reason -> assertThat(reason).isEqualTo("utilization_pct 150.0 is outside 0..100"));
  }

  /**
   * Hostile nvidia-smi input, one line of each kind: a byte-order mark and CRLF line ends (as
   * Windows tools save), a 2 MB cell, bytes that are not UTF-8, and a broken line carrying an
   * access token. The good lines land, each bad one is rejected with its line number and reason,
   * the token is not kept, and the reader finishes.
   */
  @Test
  void hostileNvidiaSmiLinesAreRejectedOneByOneAndTheGoodOnesLand(LocalStack stack)
      throws Exception {
    Map<String, Object> s = settings(stack, "sk-telecom");
    s.put(CollectorConfig.SMI_NODE, "node-7");
    String header = Fixtures.read("nvidia-smi-query.csv").lines().findFirst().orElseThrow();
    String good =
        "2025/11/03 14:02:11.507, 0, GPU-5fa4e1a2-8c1b-7d3e-2f90-0a1b2c3d4e5f, NVIDIA H100 80GB"
            + " HBM3, 55 %, 41 %, 81559 MiB, 78073 MiB, 2931 MiB, 612.41 W, 61, 48, 1980 MHz";
    java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
    java.nio.charset.Charset utf8 = java.nio.charset.StandardCharsets.UTF_8;
    in.writeBytes(("\uFEFF" + header + "\r\n" + good + "\r\n").getBytes(utf8));
    in.writeBytes(
        (good.replace("NVIDIA H100 80GB HBM3", "x".repeat(2_000_000)) + "\r\n").getBytes(utf8));
    in.writeBytes(good.replace("55 %", "5").getBytes(utf8));
    in.write(new byte[] {(byte) 0xFF, (byte) 0xFE, ' ', '%', '\r', '\n'});
    in.writeBytes("oops HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWx\n".getBytes(utf8));
    in.writeBytes(good.replace("11.507", "12.507").replace("55 %", "66 %").getBytes(utf8));
    String summary =
        NvidiaSmiReader.read(
                new CollectorConfig(s), new java.io.ByteArrayInputStream(in.toByteArray()), "x.csv")
            .summary();
    assertThat(summary)
        .startsWith("nvidia-smi: published 2 (2 GPU samples), rejected 3 (of which 3 unreadable)")
        .contains("\n  rejected: 1 x line N is not valid UTF-8");
    assertThat(TopicReader.readAll(stack, topics.team("sk-telecom").gpuSamples))
        .extracting(r -> r.value().getUtilizationPct())
        .containsExactlyInAnyOrder(55.0, 66.0);
    var rejects = TopicReader.readAll(stack, topics.team("sk-telecom").collectorRejects);
    assertThat(rejects)
        .extracting(r -> r.value().getSource() + " " + r.value().getReason())
        .containsExactly(
            "x.csv:3 line 3 is 2000143 bytes, above the cap of 1048576: skipped",
            "x.csv:4 line 4 is not valid UTF-8",
            "x.csv:5 " + rejects.get(2).value().getReason());
    assertThat(rejects.get(0).value().getRaw()).hasSizeLessThanOrEqualTo(4096);
    assertThat(rejects.get(2).value().getRaw())
        .isEqualTo("oops HF_TOKEN=[REDACTED]")
        .doesNotContain("hf_");
  }

  @Test
  void lmEvalImportPublishesCatalogueBenchmarks(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("results.json");
    Files.writeString(file, Fixtures.read("lm-eval-results.json"));
    Map<String, Object> s = settings(stack, "lg-ai-research");
    s.put(CollectorConfig.LMEVAL_FILE, file.toString());
    s.put(CollectorConfig.LMEVAL_EVALUATOR, "OFFICIAL");
    LmEvalImporter.importFile(new CollectorConfig(s));
    List<ConsumerRecord<String, BenchmarkResult>> results =
        TopicReader.readAll(stack, topics.benchmarkResults);
    assertThat(results)
        .extracting(
            r ->
                r.value().getBenchmark()
                    + (r.value().getSubtask() ? "/" + r.value().getTask() : "")
                    + "="
                    + r.value().getScore())
        .containsExactly(
            "kmmlu=0.5312",
            "kmmlu/kmmlu_accounting=0.41",
            "gsm8k=0.7437",
            "ifeval=0.7782",
            "haerae=0.812");
    assertThat(results)
        .allSatisfy(r -> assertThat(r.value().getEvaluator().name()).isEqualTo("OFFICIAL"));
    assertThat(TopicReader.readAll(stack, topics.collectorRejects)).hasSize(1);

    // The same file imported by the team itself is self-reported, on the team's intake.
    s.put(CollectorConfig.LMEVAL_EVALUATOR, "SELF_REPORTED");
    LmEvalImporter.importFile(new CollectorConfig(s));
    assertThat(TopicReader.readAll(stack, topics.team("lg-ai-research").benchmarkResults))
        .extracting(r -> r.value().getEvaluator().name())
        .containsExactly(
            "SELF_REPORTED", "SELF_REPORTED", "SELF_REPORTED", "SELF_REPORTED", "SELF_REPORTED");
    assertThat(TopicReader.readAll(stack, topics.benchmarkResults)).hasSize(5);
  }

  @Test
  void followerKilledMidFileAndRestartedPublishesEveryLineExactlyOnce(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Path log = dir.resolve("train.jsonl");
    // Published ten lines a transaction, 600 of them: the follower is still mid-file when the
    // kill lands, however quickly the broker acknowledges.
    int written = 6_000;
    int total = written + 1000;
    StringBuilder sb = new StringBuilder();
    long t0 = 1_762_178_531_000L;
    for (int i = 1; i <= written; i++) {
      sb.append("{\"step\": ")
          .append(i)
          .append(", \"ts\": ")
          .append(t0 + i * 1000L)
          .append(", \"loss\": ")
          .append(3.0 - i * 1e-4)
          .append("}\n");
    }
    Files.writeString(log, sb);
    List<String> args = new ArrayList<>();
    settings(stack, "upstage").forEach((k, v) -> args.add(k + "=" + v));
    args.add(CollectorConfig.LOG_FILE + "=" + log);
    args.add(CollectorConfig.LOG_RUN_ID + "=solar-pt-9");
    args.add(CollectorConfig.LOG_BATCH_LINES + "=10");
    args.add(CollectorConfig.LOG_POLL_MS + "=50");

    // First run: killed with SIGKILL once part of the file is published.
    Process first = follower(args, dir.resolve("first.log"));
    try {
      Await.until(
          "some steps published", Duration.ofSeconds(60), () -> committedSteps(stack) >= 500);
    } finally {
      first.destroyForcibly();
    }
    assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
    long beforeRestart = committedSteps(stack);
    assertThat(beforeRestart).isLessThan(written);

    // The log grows while the follower is down, with a partial last line that is finished later.
    StringBuilder more = new StringBuilder();
    for (int i = written + 1; i <= total; i++) {
      more.append("{\"step\": ")
          .append(i)
          .append(", \"ts\": ")
          .append(t0 + i * 1000L)
          .append(", \"loss\": 2.5}\n");
    }
    Files.writeString(
        log, more.substring(0, more.length() - 10), java.nio.file.StandardOpenOption.APPEND);

    List<String> second = new ArrayList<>(args);
    Process restarted = follower(second, dir.resolve("second.log"));
    try {
      Await.until(
          "steps up to " + (total - 1),
          Duration.ofSeconds(60),
          () -> committedSteps(stack) == total - 1);
      Files.writeString(
          log, more.substring(more.length() - 10), java.nio.file.StandardOpenOption.APPEND);
      Await.until(
          "all " + total + " steps", Duration.ofSeconds(60), () -> committedSteps(stack) == total);
      restarted.destroy();
      assertThat(restarted.waitFor(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      // A follower left running (a failed wait) would fence the next run's, which has its id.
      restarted.destroyForcibly();
    }

    List<ConsumerRecord<String, TrainingStep>> steps =
        TopicReader.readAll(stack, topics.team("upstage").trainingSteps);
    assertThat(steps).hasSize(total);
    assertThat(steps.stream().map(r -> r.value().getStep()).distinct().count()).isEqualTo(total);
    assertThat(steps).allSatisfy(r -> assertThat(r.key()).isEqualTo("upstage/solar-pt-9"));
    // One partition per run: the steps are in file order.
    assertThat(steps).extracting(r -> r.value().getStep()).isSorted();
  }

  /**
   * A finished Megatron-DeepSpeed log imported as a team would: steps and scalars land, the record
   * cut off without its loss is rejected, and the console says what was published, rejected and
   * passed over, exit 0. The same command on a file of another format publishes nothing and exits
   * 1, saying why.
   */
  @Test
  void importTrainingLogSaysWhatItLandedAndExitsNonZeroOnAFileOfAnotherFormat(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Path log = dir.resolve("train.log");
    Files.writeString(log, Fixtures.read("megatron-deepspeed.log"));
    Map<String, Object> s = settings(stack, "sk-telecom");
    s.put(CollectorConfig.LOG_FILE, log.toString());
    s.put(CollectorConfig.LOG_FORMAT, "megatron");
    s.put(CollectorConfig.LOG_RUN_ID, "ax-pt-8");
    s.put(CollectorConfig.LOG_START_TIME, "2026-03-02T09:00:00Z");
    Path out = dir.resolve("import.out");
    Process p = command("kai.telemetry.producers.collect.traininglog.TrainingLogImporter", s, out);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String console = Files.readString(out);
    assertThat(p.exitValue()).as(console).isZero();
    assertThat(console)
        .contains(
            "training-log: published 11 (4 training steps, 7 scalars), rejected 1 (of which 1"
                + " unreadable), passed over 3")
        .contains("  rejected: 1 x Megatron record cut off")
        .contains("  passed over: 3 x not a Megatron iteration or validation line");
    var team = topics.team("sk-telecom");
    assertThat(TopicReader.readAll(stack, team.trainingSteps))
        .extracting(r -> r.value().getStep() + "=" + r.value().getLoss())
        .containsExactly("10=11.02345", "20=9.876543", "30=8.765432", "50=7.5");
    assertThat(TopicReader.readAll(stack, team.trainingScalars))
        .extracting(
            r -> r.value().getName() + "@" + r.value().getStep() + "=" + r.value().getValue())
        .contains("val/lm loss@30=8.901234", "load_balancing_loss@20=0.01012")
        .hasSize(7)
        .allSatisfy(x -> assertThat(x).isNotNull());
    assertThat(TopicReader.readAll(stack, team.trainingScalars))
        .allSatisfy(r -> assertThat(r.key()).isEqualTo("sk-telecom/ax-pt-8"));

    Path wrong = dir.resolve("console.log");
    Files.writeString(wrong, Fixtures.read("hf-trainer-console.log"));
    s.put(CollectorConfig.LOG_FILE, wrong.toString());
    Path out2 = dir.resolve("wrong.out");
    Process q = command("kai.telemetry.producers.collect.traininglog.TrainingLogImporter", s, out2);
    assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String console2 = Files.readString(out2);
    assertThat(q.exitValue()).as(console2).isEqualTo(1);
    assertThat(console2)
        .contains("training-log: published 0, rejected 0 (of which 0 unreadable), passed over 7")
        .contains("nothing was published");
  }

  /**
   * Inputs that hold nothing a collector can land end with exit status 1 and a console summary that
   * says why: an lm-eval file of tasks outside the catalogue, an nvidia-smi capture of headers
   * only.
   */
  @Test
  void collectorsThatLandNothingSayWhyAndExitNonZero(LocalStack stack, @TempDir Path dir)
      throws Exception {
    Path results = dir.resolve("results.json");
    Files.writeString(
        results,
        "{\"results\": {\"blimp_adjunct_island\": {\"acc,none\": 0.91, \"alias\":"
            + " \"blimp_adjunct_island\"}}, \"date\": 1772442000.5}");
    Map<String, Object> s = settings(stack, "upstage");
    s.put(CollectorConfig.LMEVAL_FILE, results.toString());
    Path out = dir.resolve("lmeval.out");
    Process p = command("kai.telemetry.producers.collect.lmeval.LmEvalImporter", s, out);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String console = Files.readString(out);
    assertThat(p.exitValue()).as(console).isEqualTo(1);
    assertThat(console)
        .contains("lm-eval: published 0, rejected 0 (of which 0 unreadable), passed over 1")
        .contains("passed over: 1 x task not in the benchmark catalogue: blimp_adjunct_island")
        .contains("nothing was published");

    Path smi = dir.resolve("smi.csv");
    Files.writeString(smi, "timestamp, index, uuid, utilization.gpu [%]\n");
    Map<String, Object> t = settings(stack, "upstage");
    t.put(CollectorConfig.SMI_INPUT, smi.toString());
    Path out2 = dir.resolve("smi.out");
    Process q = command("kai.telemetry.producers.collect.nvidiasmi.NvidiaSmiReader", t, out2);
    assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String console2 = Files.readString(out2);
    assertThat(q.exitValue()).as(console2).isEqualTo(1);
    assertThat(console2)
        .contains("nvidia-smi: published 0, rejected 0")
        .contains("nothing was published (the input held no record this collector reads)");
  }

  /**
   * A finished log whose last line has no newline: the follower told the file is finished reads it.
   */
  @Test
  void followerAtTheEndOfAFinishedFileReadsALastLineWithoutNewline(
      LocalStack stack, @TempDir Path dir) throws Exception {
    Path log = dir.resolve("steps.jsonl");
    Files.writeString(
        log,
        "{\"step\": 1, \"loss\": 2.5, \"ts\": 1772442000}\n"
            + "{\"step\": 2, \"loss\": 2.4, \"val_loss\": 2.6, \"ts\": 1772442010}");
    Map<String, Object> s = settings(stack, "lg-ai-research");
    s.put(CollectorConfig.LOG_FILE, log.toString());
    s.put(CollectorConfig.LOG_RUN_ID, "exaone-ft-2");
    s.put(CollectorConfig.LOG_EXIT_AT_END, "true");
    try (TrainingLogFollower f = new TrainingLogFollower(new CollectorConfig(s))) {
      f.run();
      assertThat(f.totals().summary())
          .startsWith("training-log: published 3 (2 training steps, 1 scalars), rejected 0");
    }
    var team = topics.team("lg-ai-research");
    assertThat(TopicReader.readAll(stack, team.trainingSteps))
        .extracting(r -> r.value().getStep())
        .containsExactly(1L, 2L);
    assertThat(TopicReader.readAll(stack, team.trainingScalars))
        .singleElement()
        .satisfies(r -> assertThat(r.value().getValue()).isEqualTo(2.6));
  }

  /**
   * SIGTERM stops every collector that runs until stopped within a few seconds, whatever it waits
   * on: the scraper on an endpoint that stalls with a minute's budget, the nvidia-smi reader on a
   * pipe that stays open, the follower on a file that does not grow. Each first flushes what it
   * read (all of it lands) and prints its summary.
   */
  @Test
  void longRunningCollectorsStopOnSigtermWithinSecondsWhateverTheyWaitOn(
      LocalStack stack, @TempDir Path dir) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    CountDownLatch stalledHit = new CountDownLatch(1);
    CountDownLatch testDone = new CountDownLatch(1);
    server.createContext(
        "/stalled",
        ex -> {
          stalledHit.countDown();
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().write("# HELP".getBytes(StandardCharsets.UTF_8));
          ex.getResponseBody().flush();
          try {
            testDone.await(); // stalls until the test is over
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    server.setExecutor(
        java.util.concurrent.Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "stalled-exporter");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    List<Process> started = new ArrayList<>();
    try {
      Map<String, Object> scraper = settings(stack, "lg-ai-research");
      scraper.put(
          CollectorConfig.DCGM_URLS,
          "http://127.0.0.1:" + server.getAddress().getPort() + "/stalled");
      scraper.put(CollectorConfig.DCGM_TIMEOUT_MS, 60_000L);
      Process dcgm = command(DcgmScraper.class.getName(), scraper, dir.resolve("dcgm.out"));
      started.add(dcgm);

      Map<String, Object> smi = settings(stack, "upstage");
      smi.put(CollectorConfig.SMI_NODE, "node-3");
      smi.put(CollectorConfig.SMI_INPUT, "-");
      List<String> smiArgs = new ArrayList<>();
      smi.forEach((k, v) -> smiArgs.add(k + "=" + v));
      Process reader = process(NvidiaSmiReader.class.getName(), smiArgs, dir.resolve("smi.out"));
      started.add(reader);
      reader
          .getOutputStream()
          .write(Fixtures.read("nvidia-smi-query.csv").getBytes(StandardCharsets.UTF_8));
      reader.getOutputStream().flush(); // and the pipe stays open, as nvidia-smi -l keeps it

      Path log = dir.resolve("train.jsonl");
      StringBuilder steps = new StringBuilder();
      for (int i = 1; i <= 10; i++) {
        steps.append("{\"step\": ").append(i).append(", \"ts\": 1762178531000, \"loss\": 2.5}\n");
      }
      Files.writeString(log, steps);
      Map<String, Object> follow = settings(stack, "sk-telecom");
      follow.put(CollectorConfig.LOG_FILE, log.toString());
      follow.put(CollectorConfig.LOG_RUN_ID, "a-run");
      follow.put(CollectorConfig.LOG_POLL_MS, 200L);
      Process follower =
          command(TrainingLogFollower.class.getName(), follow, dir.resolve("follow.out"));
      started.add(follower);

      assertThat(stalledHit.await(60, TimeUnit.SECONDS))
          .as("the scraper reached the endpoint")
          .isTrue();
      Await.until(
          "the reader's and the follower's records on their topics",
          Duration.ofSeconds(60),
          () ->
              TopicReader.readAll(stack, topics.team("upstage").gpuSamples).size() == 3
                  && TopicReader.readAll(stack, topics.team("sk-telecom").trainingSteps).size()
                      == 10);

      for (Process p : started) {
        p.destroy(); // SIGTERM
      }
      long asked = System.nanoTime();
      for (Process p : started) {
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("stopped within 10 s").isTrue();
      }
      Duration took = Duration.ofNanos(System.nanoTime() - asked);
      assertThat(took).as("all three stopped").isLessThan(Duration.ofSeconds(5));
      for (Process p : started) {
        assertThat(p.exitValue()).isEqualTo(143); // 128 + SIGTERM, after the hooks ran
      }
      assertThat(Files.readString(dir.resolve("smi.out")))
          .contains("nvidia-smi: published 3 (3 GPU samples), rejected 2");
      assertThat(Files.readString(dir.resolve("follow.out")))
          .contains("training-log: published 10 (10 training steps)");
      assertThat(Files.readString(dir.resolve("dcgm.out"))).contains("dcgm-scraper: published 0");
    } finally {
      started.forEach(Process::destroyForcibly);
      testDone.countDown();
      server.stop(0);
    }
  }

  private static Process command(String main, Map<String, Object> settings, Path output)
      throws Exception {
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> args.add(k + "=" + v));
    return process(main, args, output);
  }

  /**
   * {@code main} in a JVM of its own, as an operator runs a command; output to {@code output}, its
   * standard input a pipe from the test.
   */
  private static Process process(String main, List<String> args, Path output) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main);
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().remove("LD_PRELOAD");
    return pb.start();
  }

  private long committedSteps(LocalStack stack) {
    return TopicReader.readAll(stack, topics.team("upstage").trainingSteps).size();
  }

  private static Process follower(List<String> args, Path output) throws Exception {
    return process(TrainingLogFollower.class.getName(), args, output);
  }
}
