package kai.telemetry.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What provision-kafka refuses before it connects to anything. */
class ProvisionKafkaTest {
  private static AbstractConfig config(Path users) {
    return new AbstractConfig(
        ProvisionKafka.DEF,
        Map.of(
            "bootstrap.servers",
            "127.0.0.1:1",
            ProvisionKafka.TEAMS,
            "upstage",
            ProvisionKafka.USERS_FILE,
            users.toString()));
  }

  @Test
  void aPasswordThatWouldBreakTheClientsJaasLineIsRefused(@TempDir Path dir) throws Exception {
    Path users = dir.resolve("users.properties");
    Files.writeString(users, "team-upstage=long-enough-\\\"-password\n");
    assertThatThrownBy(() -> ProvisionKafka.run(config(users)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("quote or a backslash");
  }

  @Test
  void aShortPasswordAndAUserOutsideThePlanAreRefused(@TempDir Path dir) throws Exception {
    Path users = dir.resolve("users.properties");
    Files.writeString(users, "team-upstage=short\n");
    assertThatThrownBy(() -> ProvisionKafka.run(config(users)))
        .hasMessageContaining("shorter than 12");
    Files.writeString(users, "team-other=long-enough-password\n");
    assertThatThrownBy(() -> ProvisionKafka.run(config(users)))
        .hasMessageContaining("not a principal of the access plan");
  }
}
