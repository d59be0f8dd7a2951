package kai.telemetry.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * SASL/SCRAM as the local stack's broker speaks it: the mechanism, credentials, client settings.
 */
public final class KafkaSasl {
  public static final String MECHANISM = "SCRAM-SHA-512";
  public static final String PROTOCOL = "SASL_PLAINTEXT";

  /** The broker's super user: the stack and the test harnesses, never a deployable. */
  public static final String ADMIN = "admin";

  private static final SecureRandom RANDOM = new SecureRandom();

  private KafkaSasl() {}

  /** A new random password (128 bits, hex). */
  public static String newPassword() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The password kept in {@code file}, made and kept (owner-only) when the file is new. */
  static String keptPassword(Path file) {
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
      String password = newPassword();
      Files.writeString(file, password + "\n");
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: the folder's permissions stand
      }
      return password;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the broker's password in " + file, e);
    }
  }

  static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /** A client's settings for {@code user}: bootstrap servers, SASL_PLAINTEXT, SCRAM, its JAAS. */
  public static Map<String, Object> clientConfig(String bootstrap, String user, String password) {
    return Map.of(
        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, PROTOCOL,
        SaslConfigs.SASL_MECHANISM, MECHANISM,
        SaslConfigs.SASL_JAAS_CONFIG, scramJaas(user, password));
  }
}
