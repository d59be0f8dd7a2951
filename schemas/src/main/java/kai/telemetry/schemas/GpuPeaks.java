package kai.telemetry.schemas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Peak dense BF16 FLOP/s per GPU model, the reference behind MFU and the compute-plausibility
 * checks (docs/KPIS.md). Vendor datasheets give sparse figures at twice these. A model is matched
 * exactly, by its canonical name or one of the spellings dcgm-exporter ({@code modelName}),
 * nvidia-smi ({@code name}) and teams use, after dropping a leading "NVIDIA", upper-casing and
 * reading '-' and '_' as spaces: "H100" alone is the SXM part, the one the program's clusters use.
 * A model not listed is unknown: MFU is not computed for it and an alert says so, never a guess.
 */
public final class GpuPeaks {
  /** One GPU model: its canonical name, peak, and the spellings that name it. */
  public record Model(String name, double peakFlops, List<String> spellings) {}

  public static final List<Model> MODELS =
      List.of(
          new Model(
              "A100",
              312e12,
              List.of(
                  "A100",
                  "A100 SXM",
                  "A100 SXM4",
                  "A100 SXM4 40GB",
                  "A100 SXM4 80GB",
                  "A100 PCIE",
                  "A100 PCIE 40GB",
                  "A100 PCIE 80GB",
                  "A100 40GB PCIE",
                  "A100 80GB PCIE")),
          new Model(
              "A800",
              312e12,
              List.of(
                  "A800",
                  "A800 SXM4 40GB",
                  "A800 SXM4 80GB",
                  "A800 PCIE 40GB",
                  "A800 PCIE 80GB",
                  "A800 40GB PCIE",
                  "A800 80GB PCIE")),
          new Model("H100 SXM", 989e12, List.of("H100", "H100 SXM", "H100 SXM5", "H100 80GB HBM3")),
          new Model("H100 PCIe", 756e12, List.of("H100 PCIE")),
          new Model("H100 NVL", 835e12, List.of("H100 NVL")),
          new Model("H800 SXM", 989e12, List.of("H800", "H800 SXM", "H800 80GB HBM3")),
          new Model("H200", 989e12, List.of("H200", "H200 SXM", "H200 141GB HBM3E")),
          new Model("B100", 1750e12, List.of("B100")),
          new Model("B200", 2250e12, List.of("B200", "B200 SXM")),
          new Model("GB200", 2500e12, List.of("GB200")));

  private static final Map<String, Model> BY_SPELLING = new LinkedHashMap<>();

  static {
    for (Model m : MODELS) {
      for (String s : m.spellings()) {
        if (BY_SPELLING.put(normalize(s), m) != null) {
          throw new IllegalStateException("GPU spelling listed twice: " + s);
        }
      }
    }
  }

  private GpuPeaks() {}

  /** The model {@code name} spells, if it is one of the reference's. */
  public static Optional<Model> model(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(BY_SPELLING.get(normalize(name)));
  }

  /** Peak dense BF16 FLOP/s of one GPU named {@code name}, or null when the model is unknown. */
  public static Double peakFlops(String name) {
    return model(name).map(Model::peakFlops).orElse(null);
  }

  /** The canonical names, for messages. */
  public static List<String> names() {
    return MODELS.stream().map(Model::name).toList();
  }

  static String normalize(String name) {
    String s = name.strip().toUpperCase(Locale.ROOT).replace('-', ' ').replace('_', ' ');
    s = s.replaceAll("\\s+", " ");
    return s.startsWith("NVIDIA ") ? s.substring("NVIDIA ".length()) : s;
  }
}
