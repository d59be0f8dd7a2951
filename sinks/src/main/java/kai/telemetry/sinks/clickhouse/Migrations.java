package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

  /** Applies what is not applied yet; returns the versions applied now. */
  public static List<Integer> apply(Executor db, String database) {
    String qualified = Tables.qualified(database, Tables.SCHEMA_MIGRATIONS);
    db.run("CREATE DATABASE IF NOT EXISTS " + Tables.identifier(database));
    db.run(
        "CREATE TABLE IF NOT EXISTS "
            + qualified
            + " (version UInt32, name String, checksum String, applied_at DateTime('UTC'))"
            + " ENGINE = MergeTree ORDER BY version");
    Set<Integer> applied = new TreeSet<>();
    for (String v :
        db.run("SELECT version FROM " + qualified + " FORMAT TabSeparated").split("\n")) {
      if (!v.isBlank()) {
        applied.add(Integer.parseInt(v.strip()));
      }
    }
    List<Integer> now = new ArrayList<>();
    for (Migration m : all()) {
      if (applied.contains(m.version())) {
        continue;
      }
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
