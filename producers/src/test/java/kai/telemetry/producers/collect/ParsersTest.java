package kai.telemetry.producers.collect;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.dcgm.DcgmSamples;
import kai.telemetry.producers.collect.lmeval.LmEvalResults;
import kai.telemetry.producers.collect.nvidiasmi.NvidiaSmiCsv;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.schemas.Validation;
import org.junit.jupiter.api.Test;

class ParsersTest {
  private static final long NOW = Instant.parse("2025-11-03T14:05:00Z").toEpochMilli();

  @Test
  void dcgmScrapeBecomesOneSamplePerGpuWithEveryField() {
    Parsed<GpuSample> p =
        DcgmSamples.fromScrape(
            Fixtures.read("dcgm-exporter-h100.txt"),
            "http://dgx-h100-017:9400/metrics",
            new DcgmSamples.Context("lg-ai-research", "lg-c1", "pod"),
            NOW);
    assertThat(p.records()).hasSize(2);
    GpuSample busy = p.records().get(0);
    assertThat(busy.getGpuUuid()).isEqualTo("GPU-5fa4e1a2-8c1b-7d3e-2f90-0a1b2c3d4e5f");
    assertThat(busy.getGpuIndex()).isZero();
    assertThat(busy.getNode()).isEqualTo("dgx-h100-017");
    assertThat(busy.getTeam()).isEqualTo("lg-ai-research");
    assertThat(busy.getCluster()).isEqualTo("lg-c1");
    assertThat(busy.getTsMs()).isEqualTo(NOW);
    assertThat(busy.getUtilizationPct()).isEqualTo(97.0);
    assertThat(busy.getMemUsedMib()).isEqualTo(78073.0);
    assertThat(busy.getMemFreeMib()).isEqualTo(2931.0);
    assertThat(busy.getMemTotalMib()).isEqualTo(81004.0);
    assertThat(busy.getPowerW()).isEqualTo(612.418);
    assertThat(busy.getEnergyMj()).isEqualTo(2938477512233L);
    assertThat(busy.getTemperatureC()).isEqualTo(61.0);
    assertThat(busy.getMemoryTemperatureC()).isEqualTo(48.0);
    assertThat(busy.getSmClockMhz()).isEqualTo(1980.0);
    assertThat(busy.getMemCopyUtilPct()).isEqualTo(41.0);
    assertThat(busy.getGrEngineActive()).isEqualTo(0.962134);
    assertThat(busy.getTensorActive()).isEqualTo(0.512877);
    assertThat(busy.getDramActive()).isEqualTo(0.388211);
    assertThat(busy.getSmActive()).isNull(); // not exported by this profile
    assertThat(busy.getXidLast()).isZero();
    assertThat(busy.getModelName()).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(busy.getRunId()).isEqualTo("exaone-pt-run42-worker-3");

    GpuSample faulty = p.records().get(1);
    assertThat(faulty.getXidLast()).isEqualTo(79);
    assertThat(faulty.getTensorActive()).isNull(); // NaN means not available
    assertThat(faulty.getRunId()).isNull(); // empty pod label

    assertThat(p.problems()).hasSize(2);
    assertThat(p.problems().get(0).source()).isEqualTo("http://dgx-h100-017:9400/metrics:54");
    assertThat(p.problems().get(0).reason()).contains("not closed");
    assertThat(p.problems().get(1).reason()).contains("neither a UUID nor Hostname and gpu labels");
  }

  /**
   * A T4 / GB200-style scrape whose profile exports neither GPU_UTIL nor GR_ENGINE_ACTIVE, with the
   * exporter's own label-less series and Kubernetes labels (current and older spellings): every GPU
   * lands with what it reports, utilization missing, nothing rejected.
   */
  @Test
  void dcgmGpuWithoutUtilizationLandsWithItsOtherFieldsAndKubernetesLabels() {
    String scrape =
        String.join(
            "\n",
            "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
            "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
            "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-aaaa0000-1111-2222-3333-444455556666\",pci_bus_id=\"00000000:3B:00.0\",device=\"nvidia0\",modelName=\"Tesla T4\",Hostname=\"t4-node-1\",DCGM_FI_DRIVER_VERSION=\"535.129.03\",container=\"trainer\",namespace=\"team-upstage\",pod=\"solar-ft-7-worker-0\"} 27.318",
            "DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-aaaa0000-1111-2222-3333-444455556666\",pci_bus_id=\"00000000:3B:00.0\",device=\"nvidia0\",modelName=\"Tesla T4\",Hostname=\"t4-node-1\",DCGM_FI_DRIVER_VERSION=\"535.129.03\",container=\"trainer\",namespace=\"team-upstage\",pod=\"solar-ft-7-worker-0\"} 1021",
            "DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-aaaa0000-1111-2222-3333-444455556666\",pci_bus_id=\"00000000:3B:00.0\",device=\"nvidia0\",modelName=\"Tesla T4\",Hostname=\"t4-node-1\",DCGM_FI_DRIVER_VERSION=\"535.129.03\",container=\"trainer\",namespace=\"team-upstage\",pod=\"solar-ft-7-worker-0\"} 44",
            "DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-bbbb0000-1111-2222-3333-444455556666\",Hostname=\"t4-node-1\",pod_namespace=\"team-upstage\",pod_name=\"solar-ft-7-worker-1\",container_name=\"trainer\"} 70.5",
            "DCGM_FI_DEV_GPU_UTIL 0",
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"2\",UUID=\"GPU-cccc0000-1111-2222-3333-444455556666\",Hostname=\"t4-node-1\",GPU_I_PROFILE=\"1g.10gb\",GPU_I_ID=\"7\"} 0.25",
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"2\",UUID=\"GPU-cccc0000-1111-2222-3333-444455556666\",Hostname=\"t4-node-1\",GPU_I_PROFILE=\"1g.10gb\",GPU_I_ID=\"8\"} 0.75",
            "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL{gpu=\"2\",nvlink=\"0\",gpu_uuid=\"GPU-cccc\",Hostname=\"t4-node-1\"} 12",
            "dcgm_exporter_last_scrape_seconds 0.012");
    Parsed<GpuSample> p =
        DcgmSamples.fromScrape(
            scrape,
            "http://t4-node-1:9400/metrics",
            new DcgmSamples.Context("upstage", "up-t4", "pod"),
            NOW);
    assertThat(p.problems()).isEmpty();
    assertThat(p.records())
        .hasSize(4); // two GPUs and two MIG instances; the NVLink series is not a GPU
    assertThat(p.records().get(2).getGpuUuid())
        .isEqualTo("GPU-cccc0000-1111-2222-3333-444455556666/mig-7");
    assertThat(p.records().get(2).getUtilizationPct()).isEqualTo(25.0);
    assertThat(p.records().get(3).getUtilizationPct()).isEqualTo(75.0);
    GpuSample a = p.records().get(0);
    assertThat(a.getUtilizationPct()).isNull();
    assertThat(a.getPowerW()).isEqualTo(27.318);
    assertThat(a.getMemUsedMib()).isEqualTo(1021.0);
    assertThat(a.getTemperatureC()).isEqualTo(44.0);
    assertThat(a.getK8sNamespace()).isEqualTo("team-upstage");
    assertThat(a.getK8sPod()).isEqualTo("solar-ft-7-worker-0");
    assertThat(a.getK8sContainer()).isEqualTo("trainer");
    assertThat(a.getPciBusId()).isEqualTo("00000000:3B:00.0");
    assertThat(a.getDriverVersion()).isEqualTo("535.129.03");
    assertThat(a.getRunId()).isEqualTo("solar-ft-7-worker-0");
    assertThat(Validation.check(a, NOW)).isEmpty();
    GpuSample b = p.records().get(1);
    assertThat(b.getK8sNamespace()).isEqualTo("team-upstage");
    assertThat(b.getK8sPod()).isEqualTo("solar-ft-7-worker-1");
    assertThat(b.getK8sContainer()).isEqualTo("trainer");
    assertThat(b.getPowerW()).isEqualTo(70.5);
  }

  @Test
  void nvidiaSmiCsvWithUnitsMissingValuesRepeatedHeaderAndBadLines() {
    NvidiaSmiCsv csv =
        new NvidiaSmiCsv(
            new NvidiaSmiCsv.Context("upstage", "up-c1", "node-3", ZoneId.of("Asia/Seoul")),
            "smi.csv",
            List.of());
    Parsed<GpuSample> p = new Parsed<>();
    String[] lines = Fixtures.read("nvidia-smi-query.csv").split("\n");
    for (int i = 0; i < lines.length; i++) {
      csv.line(lines[i], i + 1, NOW, p);
    }
    assertThat(p.records()).hasSize(4);
    GpuSample first = p.records().get(0);
    assertThat(first.getTsMs()).isEqualTo(Instant.parse("2025-11-03T05:02:11.507Z").toEpochMilli());
    assertThat(first.getGpuUuid()).isEqualTo("GPU-5fa4e1a2-8c1b-7d3e-2f90-0a1b2c3d4e5f");
    assertThat(first.getNode()).isEqualTo("node-3");
    assertThat(first.getUtilizationPct()).isEqualTo(97.0);
    assertThat(first.getMemCopyUtilPct()).isEqualTo(41.0);
    assertThat(first.getMemTotalMib()).isEqualTo(81559.0);
    assertThat(first.getMemUsedMib()).isEqualTo(78073.0);
    assertThat(first.getPowerW()).isEqualTo(612.41);
    assertThat(first.getSmClockMhz()).isEqualTo(1980.0);
    assertThat(first.getModelName()).isEqualTo("NVIDIA H100 80GB HBM3");
    GpuSample idle = p.records().get(1);
    assertThat(idle.getPowerW()).isNull();
    assertThat(idle.getMemoryTemperatureC()).isNull();
    assertThat(idle.getGpuIndex()).isEqualTo(1);
    // Utilization [Not Supported]: the GPU lands with its power and memory, utilization missing.
    GpuSample noUtil = p.records().get(2);
    assertThat(noUtil.getUtilizationPct()).isNull();
    assertThat(noUtil.getPowerW()).isEqualTo(611.02);
    assertThat(noUtil.getMemUsedMib()).isEqualTo(78073.0);
    assertThat(Validation.check(noUtil, NOW)).isEmpty();
    // The 150 % row parses; range checks are the publisher's job.
    assertThat(p.records().get(3).getUtilizationPct()).isEqualTo(150.0);
    assertThat(Validation.check(p.records().get(3), NOW))
        .containsExactly("utilization_pct 150.0 is outside 0..100");

    assertThat(p.problems()).extracting(Problem::source).containsExactly("smi.csv:5");
    assertThat(p.problems().get(0).reason()).contains("expected 13 fields");
  }

  @Test
  void nvidiaSmiWithoutHeaderUsesTheConfiguredColumns() {
    NvidiaSmiCsv csv =
        new NvidiaSmiCsv(
            new NvidiaSmiCsv.Context("upstage", "c", "n", ZoneId.of("UTC")),
            "stdin",
            List.of("index", "utilization.gpu", "memory.used"));
    Parsed<GpuSample> p = new Parsed<>();
    csv.line("3, 55, 1024", 1, NOW, p);
    assertThat(p.records())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getGpuUuid()).isEqualTo("n/3");
              assertThat(s.getTsMs()).isEqualTo(NOW);
              assertThat(s.getUtilizationPct()).isEqualTo(55.0);
              assertThat(s.getMemUsedMib()).isEqualTo(1024.0);
            });
  }

  /**
   * A power trace on an 8-GPU node (no id column), with nvidia-smi's other field names and "not
   * available" spellings: rows are told apart by their order after the header, unknown fields are
   * ignored, and missing values stay missing.
   */
  @Test
  void nvidiaSmiPowerTraceWithoutIdsUsesRowOrderAndAnyFields() {
    NvidiaSmiCsv csv =
        new NvidiaSmiCsv(
            new NvidiaSmiCsv.Context("upstage", "c", "n7", ZoneId.of("UTC"), 2),
            "trace.csv",
            List.of());
    Parsed<GpuSample> p = new Parsed<>();
    String[] lines = {
      "timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB], pci.baseClass,"
          + " ecc.errors.corrected.volatile.l1_cache, clocks_event_reasons.active",
      "2025/11/03 14:02:11.100, 612.41 W, 97 %, 78073 MiB, 0x3, 0, 0x0000000000000004",
      "2025/11/03 14:02:11.101, [N/A], 3 %, [Requested functionality has been deprecated],"
          + " 0x3, [N/A], Active",
      "2025/11/03 14:02:11.200, ERR!, 96 %, , 0x3, 0, Not Active",
      "2025/11/03 14:02:11.201, Not Supported, 4 %, 10 MiB, 0x3, 0, 0x0"
    };
    for (int i = 0; i < lines.length; i++) {
      csv.line(lines[i], i + 1, NOW, p);
    }
    assertThat(p.problems()).isEmpty();
    assertThat(p.records())
        .extracting(s -> s.getGpuUuid() + " " + s.getUtilizationPct() + " " + s.getPowerW())
        .containsExactly("n7/0 97.0 612.41", "n7/1 3.0 null", "n7/0 96.0 null", "n7/1 4.0 null");
    assertThat(p.records().get(1).getMemUsedMib()).isNull();
    assertThat(p.records().get(3).getGpuIndex()).isEqualTo(1);

    // Without the node's GPU count such rows are refused, saying what to set.
    NvidiaSmiCsv unknown =
        new NvidiaSmiCsv(
            new NvidiaSmiCsv.Context("upstage", "c", "n7", ZoneId.of("UTC")), "t", List.of());
    Parsed<GpuSample> q = new Parsed<>();
    unknown.line(lines[0], 1, NOW, q);
    unknown.line(lines[1], 2, NOW, q);
    assertThat(q.problems())
        .singleElement()
        .satisfies(x -> assertThat(x.reason()).contains("nvidia.smi.gpus"));
  }

  @Test
  void lmEvalResultsMapOntoTheCatalogue() {
    LmEvalResults.Imported imported =
        LmEvalResults.read(
            Fixtures.read("lm-eval-results.json"),
            "results_2025-11-03.json",
            ProgramFile.launchDefault(),
            new LmEvalResults.Context(
                "lg-ai-research", "run42/step-120000", Evaluator.SELF_REPORTED, null),
            NOW);
    List<BenchmarkResult> r =
        imported.parsed().records().stream().filter(x -> !x.getSubtask()).toList();
    assertThat(r)
        .extracting(BenchmarkResult::getBenchmark)
        .containsExactly("kmmlu", "gsm8k", "ifeval", "haerae"); // kmmlu also under "groups": once
    // The subtask's own score lands beside the group's, marked: the key includes the task.
    assertThat(imported.parsed().records())
        .filteredOn(BenchmarkResult::getSubtask)
        .singleElement()
        .satisfies(
            sub -> {
              assertThat(sub.getBenchmark()).isEqualTo("kmmlu");
              assertThat(sub.getTask()).isEqualTo("kmmlu_accounting");
              assertThat(sub.getScore()).isEqualTo(0.41);
              assertThat(sub.getStderr()).isEqualTo(0.049);
            });
    BenchmarkResult kmmlu = r.get(0);
    assertThat(kmmlu.getScore()).isEqualTo(0.5312);
    assertThat(kmmlu.getStderr()).isEqualTo(0.0026);
    assertThat(kmmlu.getNShot()).isEqualTo(5);
    assertThat(kmmlu.getModel()).isEqualTo("LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct");
    assertThat(kmmlu.getCheckpoint()).isEqualTo("run42/step-120000");
    assertThat(kmmlu.getTsMs()).isEqualTo(1_762_178_600_500L);
    assertThat(kmmlu.getScaleMax()).isEqualTo(1.0);
    assertThat(r.get(1).getMetric()).isEqualTo("exact_match,strict-match");
    assertThat(r.get(1).getScore()).isEqualTo(0.7437);
    assertThat(r.get(1).getStderr()).isEqualTo(0.012);
    assertThat(r.get(2).getScore()).isEqualTo(0.7782);
    assertThat(r.get(3).getScore()).isEqualTo(0.812);
    assertThat(r.get(3).getStderr()).isNull(); // "N/A"
    assertThat(imported.skippedTasks()).containsExactly("hellaswag");
    assertThat(imported.countedInGroup()).containsExactly("kmmlu_accounting"); // kmmlu is here
    assertThat(imported.parsed().problems())
        .singleElement()
        .satisfies(
            pr -> {
              assertThat(pr.source())
                  .isEqualTo("results_2025-11-03.json results.gpqa_diamond_zeroshot");
              assertThat(pr.reason())
                  .contains("has no numeric \"acc_norm,none\"")
                  .contains("[acc,none]");
            });
  }

  private static LmEvalResults.Imported lmEval(String json, Long dateMs) {
    return LmEvalResults.read(
        json,
        "results.json",
        ProgramFile.launchDefault(),
        new LmEvalResults.Context("upstage", null, Evaluator.SELF_REPORTED, null),
        dateMs);
  }

  /**
   * The older harness format: bare metric names ("acc", "acc_stderr"), shots in config, no date.
   * Without lmeval.date nothing is imported and the file says why; with it, the rows land.
   */
  @Test
  void theOlderHarnessFormatReadsWithAnExplicitDate() {
    String old =
        """
        {"results": {"haerae": {"acc": 0.79, "acc_stderr": 0.011, "acc_norm": 0.805,
                                "acc_norm_stderr": 0.012}},
         "versions": {"haerae": 0},
         "config": {"model": "hf-causal", "model_args": "pretrained=upstage/solar-pro",
                    "num_fewshot": 5}}
        """;
    LmEvalResults.Imported none = lmEval(old, null);
    assertThat(none.parsed().records()).isEmpty();
    assertThat(none.parsed().problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("give lmeval.date=YYYY-MM-DD"));
    BenchmarkResult r = lmEval(old, 1_762_128_000_000L).parsed().records().get(0);
    assertThat(r.getMetric()).isEqualTo("acc_norm"); // the catalogue counts acc_norm
    assertThat(r.getScore()).isEqualTo(0.805);
    assertThat(r.getStderr()).isEqualTo(0.012);
    assertThat(r.getNShot()).isEqualTo(5);
    assertThat(r.getModel()).isEqualTo("upstage/solar-pro");
    assertThat(r.getTsMs()).isEqualTo(1_762_128_000_000L);
  }

  /**
   * A metric under another filter than the catalogue's counts (the key used is kept); subtasks
   * without their group score are averaged into the benchmark's; leaderboard task names map.
   */
  @Test
  void filtersSubtasksAndLeaderboardNamesMapOntoTheCatalogue() {
    String json =
        """
        {"results": {
           "gsm8k": {"exact_match,get-answer": 0.71, "exact_match_stderr,get-answer": 0.013,
                     "exact_match,flexible-extract": 0.74},
           "kobest_boolq": {"acc,none": 0.90, "acc_stderr,none": 0.01},
           "kobest_copa": {"acc,none": 0.80, "acc_stderr,none": 0.01},
           "kobest_wic": {"acc,none": 0.70, "acc_stderr,none": 0.02},
           "leaderboard_ifeval": {"prompt_level_strict_acc,none": 0.66},
           "leaderboard_musr": {"acc_norm,none": 0.4}},
         "n-shot": {"gsm8k": 5, "kobest_boolq": 0, "kobest_copa": 0, "kobest_wic": 0},
         "date": 1762178600.0, "model_name": "upstage/solar-pro"}
        """;
    LmEvalResults.Imported imported = lmEval(json, null);
    List<BenchmarkResult> r =
        imported.parsed().records().stream().filter(x -> !x.getSubtask()).toList();
    assertThat(r)
        .extracting(x -> x.getBenchmark() + " " + x.getTask() + " " + x.getMetric())
        .containsExactly(
            "gsm8k gsm8k exact_match,flexible-extract",
            "kobest kobest_* acc,none",
            "ifeval leaderboard_ifeval prompt_level_strict_acc,none");
    // Each subtask's own row, beside the benchmark's mean of them.
    assertThat(imported.parsed().records())
        .filteredOn(BenchmarkResult::getSubtask)
        .extracting(x -> x.getBenchmark() + " " + x.getTask() + " " + x.getScore())
        .containsExactly(
            "kobest kobest_boolq 0.9", "kobest kobest_copa 0.8", "kobest kobest_wic 0.7");
    assertThat(r.get(0).getScore()).isEqualTo(0.74); // flexible-extract before get-answer
    assertThat(r.get(1).getScore()).isCloseTo(0.8, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(r.get(1).getNShot()).isEqualTo(0);
    assertThat(r.get(1).getStderr()).isNull();
    assertThat(imported.skippedTasks()).containsExactly("leaderboard_musr");
    assertThat(imported.parsed().problems()).isEmpty();
  }
}
