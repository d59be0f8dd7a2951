package kai.telemetry.producers.collect.dcgm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.Parsed;

/**
 * Turns one dcgm-exporter scrape into one {@link GpuSample} per GPU. GPUs are told apart by the
 * UUID label (else Hostname + gpu index). Metrics the exporter's profile does not export stay null.
 * Utilization comes from DCGM_FI_DEV_GPU_UTIL, or, where a profile exports only profiling metrics,
 * from DCGM_FI_PROF_GR_ENGINE_ACTIVE x 100 (the same "engine busy" fraction); a GPU with neither
 * lands without it (null), with its power, memory and temperature. Series without labels (the
 * exporter's own) are ignored. Kept from the labels: Kubernetes namespace, pod and container
 * ({@code namespace}/{@code pod}/{@code container}, or the older {@code pod_namespace}/{@code
 * pod_name}/{@code container_name}), {@code pci_bus_id}, {@code DCGM_FI_DRIVER_VERSION}. A MIG
 * instance (label {@code GPU_I_ID}) is a GPU of its own, {@code <UUID>/mig-<id>}; the UUID label
 * may be spelled {@code uuid} (the exporter's old namespace); NVLink, NVSwitch and CPU series are
 * not GPU readings and are passed over.
 */
public final class DcgmSamples {

  /** Where the GPUs are, which the exporter does not say. */
  public record Context(String team, String cluster, String runIdLabel) {}

  private DcgmSamples() {}

  public static Parsed<GpuSample> fromScrape(
      String text, String source, Context ctx, long scrapeTsMs) {
    Parsed<PrometheusText.Sample> lines = PrometheusText.parse(text, source);
    Parsed<GpuSample> out = new Parsed<>();
    lines.problems().forEach(p -> out.problem(p.source(), p.reason(), p.raw()));

    Map<String, Map<String, PrometheusText.Sample>> byGpu = new LinkedHashMap<>();
    for (PrometheusText.Sample s : lines.records()) {
      if (!s.name().startsWith("DCGM_FI_") || s.labels().isEmpty()) {
        continue; // the exporter's own series (no GPU labels), or other exporters' metrics
      }
      if (s.labels().containsKey("nvlink")
          || s.labels().containsKey("nvswitch")
          || s.labels().containsKey("cpu")
          || s.labels().containsKey("cpucore")) {
        continue; // a link, switch or CPU entity's series: not a GPU reading
      }
      String uuid = firstNonBlank(s.labels().get("UUID"), s.labels().get("uuid"));
      String mig = s.labels().get("GPU_I_ID");
      String host = s.labels().getOrDefault("Hostname", s.labels().get("hostname"));
      String gpu = s.labels().get("gpu");
      String key;
      if (!uuid.isEmpty()) {
        key = uuid;
      } else if (host != null && gpu != null) {
        key = host + "/" + gpu;
      } else {
        out.problem(
            source + ":" + s.line(),
            "metric " + s.name() + " has neither a UUID nor Hostname and gpu labels",
            s.name() + s.labels());
        continue;
      }
      if (mig != null && !mig.isBlank()) {
        key = key + "/mig-" + mig; // MIG instances share their GPU's UUID and index
      }
      byGpu.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(s.name(), s);
    }

    for (Map.Entry<String, Map<String, PrometheusText.Sample>> e : byGpu.entrySet()) {
      Map<String, PrometheusText.Sample> m = e.getValue();
      PrometheusText.Sample any = m.values().iterator().next();
      Map<String, String> labels = any.labels();
      Double util = value(m, "DCGM_FI_DEV_GPU_UTIL");
      if (util == null) {
        Double gr = value(m, "DCGM_FI_PROF_GR_ENGINE_ACTIVE");
        util = gr == null ? null : gr * 100;
      }
      String where = source + ":" + any.line();
      // No utilization field in this profile: the GPU still lands with what it reports.
      int index;
      try {
        index = Integer.parseInt(labels.getOrDefault("gpu", "-1"));
      } catch (NumberFormatException ex) {
        out.problem(
            where, "gpu label '" + labels.get("gpu") + "' is not a number", labels.toString());
        continue;
      }
      Double used = value(m, "DCGM_FI_DEV_FB_USED");
      Double free = value(m, "DCGM_FI_DEV_FB_FREE");
      Double reserved = value(m, "DCGM_FI_DEV_FB_RESERVED");
      Double total =
          used != null && free != null ? used + free + (reserved == null ? 0 : reserved) : null;
      Double energy = value(m, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION");
      Double xid = value(m, "DCGM_FI_DEV_XID_ERRORS");
      long ts =
          m.values().stream()
              .map(PrometheusText.Sample::timestampMs)
              .filter(java.util.Objects::nonNull)
              .findFirst()
              .orElse(scrapeTsMs);
      out.add(
          GpuSample.newBuilder()
              .setTeam(ctx.team())
              .setCluster(ctx.cluster())
              .setNode(firstNonBlank(labels.get("Hostname"), labels.get("hostname"), ""))
              .setGpuUuid(e.getKey())
              .setGpuIndex(index)
              .setTsMs(ts)
              .setUtilizationPct(util)
              .setMemUsedMib(used)
              .setMemTotalMib(total)
              .setMemFreeMib(free)
              .setPowerW(value(m, "DCGM_FI_DEV_POWER_USAGE"))
              .setTemperatureC(value(m, "DCGM_FI_DEV_GPU_TEMP"))
              .setMemoryTemperatureC(value(m, "DCGM_FI_DEV_MEMORY_TEMP"))
              .setModelName(labels.get("modelName"))
              .setRunId(ctx.runIdLabel() == null ? null : blankToNull(labels.get(ctx.runIdLabel())))
              .setMemCopyUtilPct(value(m, "DCGM_FI_DEV_MEM_COPY_UTIL"))
              .setGrEngineActive(value(m, "DCGM_FI_PROF_GR_ENGINE_ACTIVE"))
              .setSmActive(value(m, "DCGM_FI_PROF_SM_ACTIVE"))
              .setTensorActive(value(m, "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"))
              .setDramActive(value(m, "DCGM_FI_PROF_DRAM_ACTIVE"))
              .setEnergyMj(energy == null ? null : Math.round(energy))
              .setSmClockMhz(value(m, "DCGM_FI_DEV_SM_CLOCK"))
              .setXidLast(xid == null ? null : (int) Math.round(xid))
              .setK8sNamespace(label(labels, "namespace", "pod_namespace"))
              .setK8sPod(label(labels, "pod", "pod_name"))
              .setK8sContainer(label(labels, "container", "container_name"))
              .setPciBusId(label(labels, "pci_bus_id"))
              .setDriverVersion(label(labels, "DCGM_FI_DRIVER_VERSION", "driver_version"))
              .build());
    }
    return out;
  }

  /** The metric's value, or null if absent or not a finite number (dcgm reports NaN for n/a). */
  private static Double value(Map<String, PrometheusText.Sample> m, String name) {
    PrometheusText.Sample s = m.get(name);
    return s == null || !Double.isFinite(s.value()) ? null : s.value();
  }

  /** The first of {@code names} the series carries, not blank; null if none. */
  private static String label(Map<String, String> labels, String... names) {
    for (String n : names) {
      String v = labels.get(n);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return "";
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Metric names read into a sample, for documentation. */
  public static final List<String> METRICS =
      List.of(
          "DCGM_FI_DEV_GPU_UTIL",
          "DCGM_FI_DEV_MEM_COPY_UTIL",
          "DCGM_FI_DEV_FB_USED",
          "DCGM_FI_DEV_FB_FREE",
          "DCGM_FI_DEV_FB_RESERVED",
          "DCGM_FI_DEV_POWER_USAGE",
          "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
          "DCGM_FI_DEV_GPU_TEMP",
          "DCGM_FI_DEV_MEMORY_TEMP",
          "DCGM_FI_DEV_SM_CLOCK",
          "DCGM_FI_DEV_XID_ERRORS",
          "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
          "DCGM_FI_PROF_SM_ACTIVE",
          "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
          "DCGM_FI_PROF_DRAM_ACTIVE");
}
