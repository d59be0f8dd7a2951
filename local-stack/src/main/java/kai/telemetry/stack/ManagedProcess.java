package kai.telemetry.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child process of the stack with a pid file and a log file. A pid file left by a run that died
 * without stopping its children lets the next start stop the orphan before it takes the ports.
 */
public final class ManagedProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final String name;
  private final Process process;
  private final Path pidFile;
  private final Path logFile;

  private ManagedProcess(String name, Process process, Path pidFile, Path logFile) {
    this.name = name;
    this.process = process;
    this.pidFile = pidFile;
    this.logFile = logFile;
  }

  /**
   * Starts {@code command} with output to {@code workDir/<name>.log} and its pid in {@code
   * workDir/<name>.pid}, first stopping a leftover process recorded there.
   */
  public static ManagedProcess start(
      String name, List<String> command, Map<String, String> env, Path workDir) {
    try {
      Files.createDirectories(workDir);
      Path pidFile = workDir.resolve(name + ".pid");
      Path logFile = workDir.resolve(name + ".log");
      stopLeftover(name, pidFile);
      List<String> full = new java.util.ArrayList<>();
      if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
        // Own session: a Ctrl-C in the terminal reaches only the JVM, which then stops the
        // children in order (after the sink's last flush), instead of all at once.
        full.add("/usr/bin/setsid");
      }
      full.addAll(command);
      ProcessBuilder pb =
          new ProcessBuilder(full)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile());
      pb.environment().remove("LD_PRELOAD"); // the JVM's signal-chaining shim is not for children
      pb.environment().putAll(env);
      Process p = pb.start();
      Files.writeString(pidFile, Long.toString(p.pid()), StandardCharsets.US_ASCII);
      log.info("started {} (pid {}), log {}", name, p.pid(), logFile);
      return new ManagedProcess(name, p, pidFile, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
    }
  }

  private static void stopLeftover(String name, Path pidFile) throws IOException {
    if (!Files.exists(pidFile)) {
      return;
    }
    String text = Files.readString(pidFile).trim();
    Files.deleteIfExists(pidFile);
    long pid;
    try {
      pid = Long.parseLong(text);
    } catch (NumberFormatException e) {
      return;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return;
    }
    // Only stop it if it still is one of ours (pids are reused).
    String cmd = handle.get().info().commandLine().orElse("");
    if (!(cmd.contains("clickhouse") || cmd.contains("quarkus-run") || cmd.contains("kafka"))) {
      return;
    }
    log.warn("stopping leftover {} from an earlier run (pid {})", name, pid);
    stop(handle.get());
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return logFile;
  }

  /** The last lines of the log, for error messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Fails with the log's tail if the process has exited. */
  public void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          name + " exited with code " + process.exitValue() + "; last log lines:\n" + logTail(30));
    }
  }

  @Override
  public void close() {
    stop(process.toHandle());
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", pidFile, e.toString());
    }
    log.info("stopped {}", name);
  }

  private static void stop(ProcessHandle handle) {
    List<ProcessHandle> children = handle.descendants().toList();
    handle.destroy(); // SIGTERM: every engine here shuts down cleanly on it
    try {
      handle.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      handle.destroyForcibly();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }
}
