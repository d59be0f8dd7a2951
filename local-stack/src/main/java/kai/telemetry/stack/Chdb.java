package kai.telemetry.stack;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Path;

/**
 * The current ClickHouse engine in-process (chDB's libchdb.so through its C API), used to run the
 * project's SQL on a modern ClickHouse where no modern server can be installed.
 */
public final class Chdb implements AutoCloseable {

  interface LibChdb extends Library {
    void chdb_set_signal_handlers_enabled(boolean enabled);

    Pointer chdb_connect(int argc, String[] argv);

    void chdb_close_conn(Pointer connection);

    Pointer chdb_query(Pointer connection, String query, String format);

    Pointer chdb_result_buffer(Pointer result);

    long chdb_result_length(Pointer result);

    String chdb_result_error(Pointer result);

    void chdb_destroy_query_result(Pointer result);
  }

  private static LibChdb lib;

  private final Pointer connectionHandle;
  private final Pointer connection;

  private Chdb(Pointer connectionHandle) {
    this.connectionHandle = connectionHandle;
    this.connection = connectionHandle.getPointer(0);
  }

  /** Opens a chDB session whose databases live under {@code dataDir}. */
  public static Chdb open(StackHome home, Path dataDir) {
    return open(home, dataDir, null);
  }

  /**
   * Opens a chDB session under {@code dataDir} whose server configuration is {@code configFile}
   * (users, access control), or chDB's defaults when it is null.
   */
  public static synchronized Chdb open(StackHome home, Path dataDir, Path configFile) {
    load(home);
    java.util.List<String> argv = new java.util.ArrayList<>();
    argv.add("clickhouse");
    argv.add("--path=" + dataDir.toAbsolutePath());
    if (configFile != null) {
      argv.add("--config-file=" + configFile.toAbsolutePath());
    }
    Pointer handle = lib.chdb_connect(argv.size(), argv.toArray(String[]::new));
    if (handle == null || handle.getPointer(0) == null) {
      throw new IllegalStateException("chDB could not open a session in " + dataDir);
    }
    return new Chdb(handle);
  }

  private static void load(StackHome home) {
    if (lib == null) {
      requireSignalChaining();
      lib = Native.load(home.chdbLibrary().toString(), LibChdb.class);
      // chDB installs ClickHouse's crash handlers by default; they take SIGSEGV from the JVM,
      // which uses it for its own null checks, and the JVM dies. Keep the JVM's handlers.
      lib.chdb_set_signal_handlers_enabled(false);
    }
  }

  /**
   * chDB installs ClickHouse's signal handlers; without the JVM's signal-chaining library they
   * replace the JVM's own (it uses SIGSEGV internally) and the JVM crashes at its next implicit
   * null check. Refuse to load rather than crash later.
   */
  private static void requireSignalChaining() {
    String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
    if (!preload.contains("libjsig")) {
      throw new IllegalStateException(
          "chDB needs the JVM started with LD_PRELOAD="
              + Path.of(System.getProperty("java.home"), "lib", "libjsig.so")
              + " (signal chaining); without it the JVM crashes after the first query");
    }
  }

  /** Runs {@code sql}, returning the output in {@code format}; fails with chDB's error. */
  public String query(String sql, String format) {
    return read(lib.chdb_query(connection, sql, format), sql);
  }

  private static String read(Pointer result, String sql) {
    if (result == null) {
      throw new IllegalStateException("chDB returned no result for: " + sql);
    }
    try {
      String error = lib.chdb_result_error(result);
      if (error != null && !error.isEmpty()) {
        throw new IllegalStateException("chDB: " + error.trim() + "\nSQL: " + sql);
      }
      long len = lib.chdb_result_length(result);
      Pointer buf = lib.chdb_result_buffer(result);
      if (len == 0 || buf == null) {
        return "";
      }
      return new String(buf.getByteArray(0, (int) len), java.nio.charset.StandardCharsets.UTF_8);
    } finally {
      lib.chdb_destroy_query_result(result);
    }
  }

  public String version() {
    return query("SELECT version()", "TabSeparated").trim();
  }

  @Override
  public void close() {
    lib.chdb_close_conn(connectionHandle);
  }
}
