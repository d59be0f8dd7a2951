package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned ClickHouse migrations, applied in order at sink start and recorded in {@code
 * schema_migrations}. Statements are written to run on ClickHouse 18.16 and current releases alike.
 * A failing migration stops start-up with its file and statement named; the ones before it stay
 * applied and recorded, so a retry resumes there.
 */
public final class Migrations {
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  private static final String ROOT = "/clickhouse/migrations/";
  private static final Pattern FILE = Pattern.compile("V(\\d{3})__([a-z0-9_]+)\\.sql");

  /** One migration file. */
  public record Migration(int version, String name, String sql) {
    /** Its statements, with {@code ${db}} replaced by the database. */
    public List<String> statements(String database) {
      String text = sql.replace("${db}", Tables.identifier(database));
      List<String> out = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : text.split("\n")) {
        String trimmed = line.strip();
        if (trimmed.startsWith("--") || trimmed.isEmpty()) {
          continue;
        }
        current.append(line).append('\n');
        if (trimmed.endsWith(";")) {
          String stmt = current.toString().strip();
          out.add(stmt.substring(0, stmt.length() - 1));
          current.setLength(0);
        }
      }
      if (!current.toString().isBlank()) {
        out.add(current.toString().strip());
      }
      return out;
    }

    public String checksum() {
      try {
        return HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256").digest(sql.getBytes(StandardCharsets.UTF_8)))
            .substring(0, 16);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Runs one SQL statement and returns its text output (ClickHouse over HTTP, or chDB). */
  @FunctionalInterface
  public interface Executor {
    String run(String sql);
  }

  private Migrations() {}

  /** Every migration shipped, in version order. */
  public static List<Migration> all() {
    List<Migration> out = new ArrayList<>();
    for (String line : resource("index.txt").split("\n")) {
      String file = line.strip();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      Matcher m = FILE.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException("migration file name '" + file + "' is not V###__name.sql");
      }
      int version = Integer.parseInt(m.group(1));
      if (!out.isEmpty() && out.get(out.size() - 1).version() >= version) {
        throw new IllegalStateException("migrations out of order at " + file);
      }
      out.add(new Migration(version, m.group(2), resource(file)));
    }
    return out;
  }

  /**
   * Applies what is not applied yet; returns the versions applied now. Sinks starting at once (a
   * second instance, a restart of all) may apply the same migration together: one that finds its
   * statement already done (a column or table that exists, a column already dropped) waits up to
   * {@link #CONCURRENT_WAIT} for the other to record the migration and goes on, instead of
   * stopping. Of two sinks applying one migration, the one ahead never meets a statement the other
   * has run, so one of them always finishes.
   */
  public static List<Integer> apply(Executor db, String database) {
    return apply(db, database, CONCURRENT_WAIT);
  }

  /** As above, waiting up to {@code concurrentWait} for another sink's migration. */
  static List<Integer> apply(Executor db, String database, Duration concurrentWait) {
    String qualified = Tables.qualified(database, Tables.SCHEMA_MIGRATIONS);
    db.run("CREATE DATABASE IF NOT EXISTS " + Tables.identifier(database));
    db.run(
        "CREATE TABLE IF NOT EXISTS "
            + qualified
            + " (version UInt32, name String, checksum String, applied_at DateTime('UTC'))"
            + " ENGINE = MergeTree ORDER BY version");
    Set<Integer> applied = applied(db, qualified);
    List<Integer> now = new ArrayList<>();
    for (Migration m : all()) {
      if (applied.contains(m.version())) {
        continue;
      }
      try {
        run(db, database, m);
      } catch (IllegalStateException failure) {
        if (!doneAlready(failure)) {
          throw failure;
        }
        if (!recordedWithin(db, qualified, m, concurrentWait)) {
          throw new IllegalStateException(
              failure.getMessage()
                  + "\nNo other sink recorded this migration within "
                  + concurrentWait.toSeconds()
                  + " s. Either it was left half-applied (a sink stopped during it): complete or"
                  + " undo its statements by hand, then start the sink again; or the statement"
                  + " itself is wrong for this database (see the cause above).",
              failure);
        }
        log.info(
            "ClickHouse migration V{}__{} was applied to {} by another sink meanwhile",
            m.version(),
            m.name(),
            database);
        continue;
      }
      // Values here are ours (version number, file name, hex checksum), never user input.
      db.run(
          "INSERT INTO "
              + qualified
              + " (version, name, checksum, applied_at) VALUES ("
              + m.version()
              + ", '"
              + m.name()
              + "', '"
              + m.checksum()
              + "', now())");
      log.info("applied ClickHouse migration V{}__{} to {}", m.version(), m.name(), database);
      now.add(m.version());
    }
    return now;
  }

  /** How long a sink waits for another to record a migration they were both applying. */
  static final Duration CONCURRENT_WAIT = Duration.ofSeconds(60);

  /**
   * ClickHouse's answers to a statement another sink has already run: DUPLICATE_COLUMN, 18.16's
   * ILLEGAL_COLUMN ("column with this name already exists"), TABLE_ALREADY_EXISTS, and
   * NO_SUCH_COLUMN_IN_TABLE for a column already dropped.
   */
  private static final Pattern DONE_ALREADY = Pattern.compile("Code: (15|16|44|57)\\b");

  private static boolean doneAlready(IllegalStateException failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (DONE_ALREADY.matcher(String.valueOf(t.getMessage())).find()) {
        return true;
      }
    }
    return false;
  }

  private static void run(Executor db, String database, Migration m) {
    for (String statement : m.statements(database)) {
      try {
        db.run(statement);
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "ClickHouse migration V"
                + m.version()
                + "__"
                + m.name()
                + " failed; earlier migrations stay applied, nothing after it was run."
                + " Statement:\n"
                + statement
                + "\nCause: "
                + e.getMessage(),
            e);
      }
    }
  }

  private static Set<Integer> applied(Executor db, String qualified) {
    Set<Integer> applied = new TreeSet<>();
    for (String v :
        db.run("SELECT version FROM " + qualified + " FORMAT TabSeparated").split("\n")) {
      if (!v.isBlank()) {
        applied.add(Integer.parseInt(v.strip()));
      }
    }
    return applied;
  }

  private static boolean recordedWithin(Executor db, String qualified, Migration m, Duration wait) {
    log.info(
        "ClickHouse migration V{}__{} met a statement already run: waiting up to {} s for"
            + " another sink applying it to record it",
        m.version(),
        m.name(),
        wait.toSeconds());
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      if (applied(db, qualified).contains(m.version())) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private static String resource(String name) {
    try (InputStream in = Migrations.class.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        throw new IllegalStateException("missing migration resource " + ROOT + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
