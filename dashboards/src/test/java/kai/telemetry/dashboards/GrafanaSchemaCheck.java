package kai.telemetry.dashboards;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks dashboards against Grafana's own dashboard schema. Grafana publishes it as TypeScript
 * types (npm package @grafana/schema), so each dashboard becomes a TypeScript file that assigns the
 * dashboard, as an object literal, to that type (schema-check/dashboard-schema.ts), and the
 * TypeScript compiler checks them all in one run.
 *
 * <p>The packages (schema-check/package.json and its lock file) live in {@code
 * <kai.stack.dir>/grafana-schema}, installed with npm when missing or not the pinned versions.
 */
final class GrafanaSchemaCheck {
  private static final Logger log = LoggerFactory.getLogger(GrafanaSchemaCheck.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The check's npm project (package.json, lock file, dashboard-schema.ts). */
  static final Path PROJECT = Dashboards.DIR.resolveSibling("schema-check");

  /** What goes before each dashboard's text, on its first line so that lines stay the same. */
  private static final String PREFIX =
      "import type { GrafanaDashboard } from \"./dashboard-schema\";"
          + " export const dashboard: GrafanaDashboard = ";

  // tsc --pretty false: "file(line,col): error TS1234: message", then indented continuation lines.
  private static final Pattern DIAGNOSTIC =
      Pattern.compile("^(.+?)\\((\\d+),(\\d+)\\): error (TS\\d+): (.*)$");
  // A long structural type in a message says less than the JSON path does.
  private static final Pattern LONG_TYPE = Pattern.compile("'\\{ [^']{60,}'");

  private static Path nodeModules;

  private GrafanaSchemaCheck() {}

  /** One thing wrong: in which dashboard, where in its text and its tree, and what. */
  record Problem(String dashboard, int line, int column, String path, String message) {
    @Override
    public String toString() {
      return dashboard + ":" + line + ":" + column + " at " + path + ": " + message;
    }
  }

  /**
   * Checks each dashboard (file name to JSON text) in one compiler run under {@code
   * target/grafana-schema-check/<run>}; returns what the compiler reports, mapped back to the
   * dashboards' lines, columns and JSON paths. The compiler reports an unknown property of an
   * object only once that object has no other error, so a fix can bring up further problems.
   */
  static List<Problem> check(String run, Map<String, String> dashboards) {
    Path tsc = nodeModules().resolve("typescript/bin/tsc");
    Path dir = Path.of("target", "grafana-schema-check", run).toAbsolutePath();
    Map<String, String> sources = new LinkedHashMap<>(); // generated file -> dashboard
    Map<String, TreeMap<Long, String>> paths = new LinkedHashMap<>();
    try {
      deleteRecursively(dir);
      Files.createDirectories(dir);
      Files.copy(PROJECT.resolve("dashboard-schema.ts"), dir.resolve("dashboard-schema.ts"));
      for (Map.Entry<String, String> d : dashboards.entrySet()) {
        paths.put(d.getKey(), jsonPaths(d.getKey(), d.getValue()));
        String source = String.format("d%02d.ts", sources.size());
        sources.put(source, d.getKey());
        Files.writeString(dir.resolve(source), PREFIX + d.getValue() + ";\n");
      }
      Files.writeString(dir.resolve("tsconfig.json"), tsconfig(sources.keySet()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Result r =
        run(
            dir,
            120,
            "node",
            tsc.toString(),
            "-p",
            "tsconfig.json",
            "--noEmit",
            "--strict",
            "--pretty",
            "false");
    List<Problem> problems = new ArrayList<>();
    for (String line : r.output().split("\n")) {
      Matcher m = DIAGNOSTIC.matcher(line);
      if (m.matches()) {
        String file = sources.getOrDefault(m.group(1), m.group(1));
        int ln = Integer.parseInt(m.group(2));
        int col = Integer.parseInt(m.group(3)) - (ln == 1 ? PREFIX.length() : 0);
        TreeMap<Long, String> tree = paths.get(file);
        String at = tree == null ? "?" : pathAt(tree, ln, col);
        problems.add(
            new Problem(
                file, ln, Math.max(col, 1), at, shorten(m.group(5)) + " [" + m.group(4) + "]"));
      } else if (line.startsWith(" ") && !line.isBlank() && !problems.isEmpty()) {
        Problem last = problems.removeLast();
        problems.add(
            new Problem(
                last.dashboard(),
                last.line(),
                last.column(),
                last.path(),
                last.message() + "\n" + shorten(line.stripTrailing())));
      } else if (!line.isBlank()) {
        problems.add(new Problem("tsc", 0, 0, "?", line)); // e.g. an error in the set-up
      }
    }
    if ((r.exitCode() != 0 && problems.isEmpty()) || r.exitCode() > 2) {
      throw new AssertionError("tsc failed (exit " + r.exitCode() + "):\n" + r.output());
    }
    return problems;
  }

  private static String shorten(String message) {
    return LONG_TYPE.matcher(message).replaceAll("'{...}'");
  }

  private static String tsconfig(Iterable<String> sources) {
    ObjectNode options = JSON.createObjectNode();
    options.put("target", "es2022");
    options.putArray("lib").add("es2022");
    options.put("module", "esnext");
    options.put("moduleResolution", "bundler");
    options.putArray("types");
    options.put("skipLibCheck", true);
    options
        .putObject("paths")
        .putArray("@grafana/schema/*")
        .add(nodeModules().resolve("@grafana/schema").toString() + "/*");
    ObjectNode config = JSON.createObjectNode();
    config.set("compilerOptions", options);
    ArrayNode files = config.putArray("files").add("dashboard-schema.ts");
    sources.forEach(files::add);
    return config.toPrettyString();
  }

  /** The JSON pointer of each token of the text, by where the token starts. */
  private static TreeMap<Long, String> jsonPaths(String name, String json) {
    TreeMap<Long, String> out = new TreeMap<>();
    // From a String, columns count UTF-16 units as TypeScript does.
    try (JsonParser p = new JsonFactory().createParser(json)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        JsonLocation at = p.currentTokenLocation();
        out.putIfAbsent(
            key(at.getLineNr(), at.getColumnNr()),
            p.getParsingContext().pathAsPointer().toString());
      }
    } catch (IOException e) {
      throw new AssertionError("invalid JSON in " + name + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static String pathAt(TreeMap<Long, String> paths, int line, int column) {
    Map.Entry<Long, String> e = paths.floorEntry(key(line, column));
    String path = e == null ? "" : e.getValue();
    return path.isEmpty() ? "(top level)" : path;
  }

  private static long key(int line, int column) {
    return ((long) line << 32) | Math.max(column, 0);
  }

  /** The installed packages, installing them first when they are missing or other versions. */
  static synchronized Path nodeModules() {
    if (nodeModules == null) {
      // The build passes kai.stack.dir; without it (an IDE, say), <repository>/.stack.
      String repository = PROJECT.toAbsolutePath().normalize().getParent().getParent().toString();
      Path stack = Path.of(System.getProperty("kai.stack.dir", repository + "/.stack"));
      Path dir = stack.resolve("grafana-schema").toAbsolutePath();
      if (!installed(dir)) {
        install(dir);
        if (!installed(dir)) {
          throw new AssertionError(
              "npm ci in "
                  + dir
                  + " did not install the versions of "
                  + PROJECT.resolve("package.json"));
        }
      }
      nodeModules = dir.resolve("node_modules");
    }
    return nodeModules;
  }

  private static boolean installed(Path dir) {
    try {
      Path lock = dir.resolve("package-lock.json");
      if (!Files.exists(lock) || Files.mismatch(PROJECT.resolve("package-lock.json"), lock) != -1) {
        return false;
      }
      JsonNode wanted = JSON.readTree(PROJECT.resolve("package.json").toFile()).get("dependencies");
      for (Map.Entry<String, JsonNode> dep : wanted.properties()) {
        Path manifest = dir.resolve("node_modules").resolve(dep.getKey()).resolve("package.json");
        if (!Files.exists(manifest)
            || !JSON.readTree(manifest.toFile())
                .path("version")
                .asText()
                .equals(dep.getValue().asText())) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void install(Path dir) {
    try {
      new ProcessBuilder("npm", "--version")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    } catch (IOException e) {
      throw new AssertionError(
          "npm is not on the PATH. It is needed once, to install Grafana's dashboard schema"
              + " (@grafana/schema) and TypeScript into "
              + dir
              + ": install npm (e.g. apt-get install -y npm), or run bin/test, which installs them.",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    log.info("installing {} into {}", PROJECT.resolve("package.json"), dir);
    try {
      Files.createDirectories(dir);
      for (String f : List.of("package.json", "package-lock.json")) {
        Files.copy(PROJECT.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Result r =
        run(
            dir,
            600,
            "npm",
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            dir.toString());
    if (r.exitCode() != 0) {
      throw new AssertionError("npm ci in " + dir + " failed:\n" + r.output());
    }
  }

  private record Result(int exitCode, String output) {}

  private static Result run(Path dir, int timeoutSeconds, String... command) {
    Path out = null;
    try {
      out = Files.createTempFile("grafana-schema-check", ".out");
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            String.join(" ", command) + " took over " + timeoutSeconds + " s:\n" + read(out));
      }
      return new Result(p.exitValue(), read(out));
    } catch (IOException e) {
      throw new AssertionError(
          "cannot run " + command[0] + " (is it on the PATH?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
