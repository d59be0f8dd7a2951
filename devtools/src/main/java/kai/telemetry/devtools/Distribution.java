package kai.telemetry.devtools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import kai.telemetry.stack.Await;

/**
 * The built distribution (distribution/target/kai-telemetry), and its deployables started as an
 * operator starts them: through its launcher, each in a process of its own, on nothing but the
 * distribution's lib folder.
 */
public final class Distribution {
  /** Jars that must never ship: the broker, test libraries, Kafka Connect, developer tools. */
  public static final Pattern BANNED_JAR =
      Pattern.compile(
          "^(kafka_2\\.13|kafka-server|kafka-tools|connect-runtime|kafka-streams-test-utils"
              + "|testcontainers|junit|assertj|jetty|local-stack|devtools)[-.].*");

  private final Path home;

  private Distribution(Path home) {
    this.home = home;
  }

  /** The distribution named by {@code kai.distribution.dir}, else the build's, from here. */
  public static Distribution locate() {
    String configured = System.getProperty("kai.distribution.dir");
    List<Path> candidates =
        configured != null
            ? List.of(Path.of(configured))
            : List.of(
                Path.of("distribution/target/kai-telemetry"),
                Path.of("../distribution/target/kai-telemetry"));
    for (Path p : candidates) {
      if (Files.isExecutable(p.resolve("bin/kai"))) {
        return new Distribution(p.toAbsolutePath().normalize());
      }
    }
    throw new IllegalStateException(
        "no distribution at "
            + candidates
            + ": build it with ./mvnw -Dquick -DskipTests package (bin/kai does)");
  }

  public Path home() {
    return home;
  }

  /** The jars of lib/, by file name. */
  public List<String> jars() {
    try (Stream<Path> s = Files.list(home.resolve("lib"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes of every file under the distribution. */
  public long sizeBytes() {
    try (Stream<Path> s = Files.walk(home)) {
      return s.filter(Files::isRegularFile).mapToLong(Distribution::size).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code command} with {@code args}; its output (stdout and stderr) goes to {@code log}.
   */
  public Deployable start(String command, List<String> args, Path log) {
    return start(command, args, log, Map.of());
  }

  /** As {@link #start(String, List, Path)}, with {@code env} added to its environment. */
  public Deployable start(String command, List<String> args, Path log, Map<String, String> env) {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin/kai").toString());
    cmd.add(command);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().remove("LD_PRELOAD"); // a preloaded library is the parent's, not the child's
    pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // a JDK 21+, known here
    pb.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      return new Deployable(command, pb.start(), log, System.nanoTime());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
  }

  /** One running deployable. The launcher execs the JVM, so the process is the JVM. */
  public record Deployable(String command, Process process, Path log, long startedNanos)
      implements AutoCloseable {

    /** Waits until the log holds {@code text}; returns the time since start. */
    public Duration awaitLog(String text, Duration timeout) {
      Await.until(
          command + " to log '" + text + "' (log: " + log + ")",
          timeout,
          () -> {
            if (!process.isAlive() && !logText().contains(text)) {
              throw new IllegalStateException(
                  command + " exited with status " + process.exitValue() + ":\n" + tail());
            }
            return logText().contains(text);
          });
      return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Waits for the process to end; returns its exit status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(command + " still runs after " + timeout + ":\n" + tail());
      }
      return process.exitValue();
    }

    /** SIGTERM, as compose or systemd stops a service; returns the exit status. */
    public int stop(Duration timeout) throws InterruptedException {
      process.destroy();
      return awaitExit(timeout);
    }

    /** The JVM's heap in use, in bytes, after a full GC (jcmd GC.heap_info after GC.run). */
    public long heapUsedBytes() {
      jcmd("GC.run");
      String info = jcmd("GC.heap_info");
      Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
      if (!m.find()) {
        throw new IllegalStateException("no heap figure in jcmd's answer:\n" + info);
      }
      return Long.parseLong(m.group(1)) * 1024;
    }

    /** The process's resident memory, in bytes (VmRSS). */
    public long residentBytes() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", "" + process.pid(), "status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      throw new IllegalStateException("no VmRSS for " + command);
    }

    private String jcmd(String what) {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      try {
        Process p =
            new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), what)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("jcmd " + what + " failed: " + out);
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    public String logText() {
      try {
        return Files.exists(log) ? Files.readString(log) : "";
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private String tail() {
      String text = logText();
      return text.length() > 4_000 ? "..." + text.substring(text.length() - 4_000) : text;
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
