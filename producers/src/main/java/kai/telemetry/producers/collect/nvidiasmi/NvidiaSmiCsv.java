package kai.telemetry.producers.collect.nvidiasmi;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.Parsed;

/**
 * Reads {@code nvidia-smi --query-gpu=... --format=csv} output, with or without units and header:
 * any of nvidia-smi's query fields in any order (the ones a sample has no place for are ignored),
 * header cells like {@code utilization.gpu [%]} or {@code pci.baseClass}, values like {@code 87 %}
 * or {@code 81559 MiB}, and every "not available" spelling ({@code [N/A]}, {@code N/A}, {@code [Not
 * Supported]}, {@code [Requested functionality has been deprecated]}, {@code ERR!}, an empty cell)
 * as missing. A header line may appear again (each {@code -l} round of some versions prints it) and
 * is re-read. GPUs are told apart by uuid, index or PCI bus id; a query with none of them (a power
 * trace, {@code --query-gpu=timestamp,power.draw,utilization.gpu -lms 100}) needs the node's GPU
 * count, and row k after a header is then GPU k mod count, since nvidia-smi prints a node's GPUs in
 * index order in every poll. Stateful: feed it lines in order.
 */
public final class NvidiaSmiCsv {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss[.SSS]");

  /**
   * Where the GPUs are, which nvidia-smi does not say, and how many the node has (0: unknown), for
   * output without an id column.
   */
  public record Context(
      String team, String cluster, String node, ZoneId timestampZone, int gpusPerNode) {
    public Context(String team, String cluster, String node, ZoneId timestampZone) {
      this(team, cluster, node, timestampZone, 0);
    }
  }

  /** Data rows since the last header: the GPU of a row without an id column. */
  private long rowsSinceHeader;

  private final Context ctx;
  private final String source;
  private final List<String> defaultColumns;
  private List<String> columns;

  /**
   * @param defaultColumns the --query-gpu fields in order, for output without a header
   *     (format=csv,noheader); empty if the input carries its header
   */
  public NvidiaSmiCsv(Context ctx, String source, List<String> defaultColumns) {
    this.ctx = ctx;
    this.source = source;
    this.defaultColumns = defaultColumns;
    this.columns = defaultColumns.isEmpty() ? null : defaultColumns;
  }

  /** Parses one line; header lines set the columns and yield nothing. */
  public void line(String raw, int lineNo, long readTsMs, Parsed<GpuSample> out) {
    String line = raw.strip();
    if (line.isEmpty()) {
      return;
    }
    List<String> cells = split(line);
    if (isHeader(cells)) {
      columns = cells.stream().map(NvidiaSmiCsv::fieldName).toList();
      rowsSinceHeader = 0;
      return;
    }
    String where = source + ":" + lineNo;
    long row0 = rowsSinceHeader++; // every data row is one GPU's, read or not
    if (columns == null) {
      out.problem(
          where, "data before any header; pass the --query-gpu fields for noheader output", raw);
      return;
    }
    if (cells.size() != columns.size()) {
      out.problem(
          where,
          "expected " + columns.size() + " fields " + columns + ", got " + cells.size(),
          raw);
      return;
    }
    Map<String, String> row = new HashMap<>();
    for (int i = 0; i < cells.size(); i++) {
      row.put(columns.get(i), cells.get(i));
    }
    try {
      out.add(sample(row, readTsMs, row0));
    } catch (IllegalArgumentException e) {
      out.problem(where, e.getMessage(), raw);
    }
  }

  private GpuSample sample(Map<String, String> row, long readTsMs, long row0) {
    // Utilization may be missing ([N/A] on MIG and some vGPU setups): the GPU lands with what
    // it reports; a row with no reading at all is refused.
    Double util = number(row, "utilization.gpu");
    Double power = number(row, "power.draw", "power.draw.average", "power.draw.instant");
    if (util == null
        && power == null
        && number(row, "memory.used") == null
        && number(row, "temperature.gpu") == null) {
      throw new IllegalArgumentException(
          "no utilization.gpu, power.draw, memory.used or temperature.gpu value (query them, e.g."
              + " --query-gpu=index,uuid,utilization.gpu,power.draw,...)");
    }
    String uuid = text(row, "uuid");
    Double index = number(row, "index");
    String bus = text(row, "pci.bus_id");
    if (uuid == null && index == null && bus == null) {
      if (ctx.gpusPerNode() <= 0) {
        throw new IllegalArgumentException(
            "cannot tell the GPU: query uuid, index or pci.bus_id, or set nvidia.smi.gpus to the"
                + " node's GPU count to tell them apart by row order");
      }
      index = (double) (row0 % ctx.gpusPerNode()); // nvidia-smi prints GPUs in index order
    }
    long ts = readTsMs;
    String stamp = text(row, "timestamp");
    if (stamp != null) {
      try {
        ts =
            LocalDateTime.parse(stamp, TIMESTAMP)
                .atZone(ctx.timestampZone())
                .toInstant()
                .toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "timestamp '" + stamp + "' is not yyyy/MM/dd HH:mm:ss.SSS");
      }
    }
    Double used = number(row, "memory.used");
    Double total = number(row, "memory.total");
    Double free = number(row, "memory.free");
    Double sm = number(row, "clocks.sm", "clocks.current.sm");
    return GpuSample.newBuilder()
        .setTeam(ctx.team())
        .setCluster(ctx.cluster())
        .setNode(ctx.node())
        .setGpuUuid(
            uuid != null
                ? uuid
                : ctx.node() + "/" + (index != null ? Long.toString(index.longValue()) : bus))
        .setGpuIndex(index == null ? -1 : index.intValue())
        .setTsMs(ts)
        .setUtilizationPct(util)
        .setMemUsedMib(used)
        .setMemTotalMib(total)
        .setMemFreeMib(free)
        .setMemCopyUtilPct(number(row, "utilization.memory"))
        .setPowerW(power)
        .setPciBusId(bus)
        .setDriverVersion(text(row, "driver_version"))
        .setTemperatureC(number(row, "temperature.gpu"))
        .setMemoryTemperatureC(number(row, "temperature.memory"))
        .setSmClockMhz(sm)
        .setModelName(text(row, "name"))
        .build();
  }

  private static boolean isHeader(List<String> cells) {
    // Header cells are query field names: letters, dots and underscores, with an optional [unit].
    return !cells.isEmpty()
        && cells.stream()
            .allMatch(c -> c.matches("[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*( \\[[^\\]]+\\])?"))
        && cells.stream()
            .anyMatch(
                c ->
                    c.contains(".")
                        || c.equals("index")
                        || c.equals("uuid")
                        || c.equals("name")
                        || c.equals("timestamp"));
  }

  /** "utilization.gpu [%]" -> "utilization.gpu". */
  static String fieldName(String header) {
    int bracket = header.indexOf(" [");
    return (bracket < 0 ? header : header.substring(0, bracket)).strip().toLowerCase(Locale.ROOT);
  }

  private static List<String> split(String line) {
    List<String> cells = new ArrayList<>();
    for (String c : line.split(",", -1)) {
      cells.add(c.strip());
    }
    return cells;
  }

  private static String text(Map<String, String> row, String field) {
    String v = row.get(field);
    return v == null || missing(v) ? null : v;
  }

  private static Double number(Map<String, String> row, String... fields) {
    for (String f : fields) {
      String v = row.get(f);
      if (v == null || missing(v)) {
        continue;
      }
      // Older drivers print memory in "MB", which were MiB all along.
      String digits = v.replaceAll("\\s*(%|MiB|MB|W|C|MHz|GiB|KiB)$", "").strip();
      try {
        return Double.parseDouble(digits);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(f + " value '" + v + "' is not a number");
      }
    }
    return null;
  }

  /** Every way nvidia-smi says a value is not there. */
  private static boolean missing(String v) {
    return v.isEmpty()
        || (v.startsWith("[") && v.endsWith("]"))
        || v.equalsIgnoreCase("N/A")
        || v.equalsIgnoreCase("Not Supported")
        || v.equalsIgnoreCase("Unknown Error")
        || v.equals("ERR!");
  }
}
