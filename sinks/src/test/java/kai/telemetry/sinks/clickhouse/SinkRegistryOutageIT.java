package kai.telemetry.sinks.clickhouse;

import kai.telemetry.config.CommonSettings;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sink cannot reach the schema registry: that is not the records' fault, so it stops without
 * dead-lettering or committing anything; started again with the registry, it lands every record
 * exactly once.
 */
@ExtendWith(RealStackExtension.class)
class SinkRegistryOutageIT {
  private final TestNamespace ns = TestNamespace.of(SinkRegistryOutageIT.class);

  @Test
  void aRegistryItCannotReachStopsTheSinkAndSkipsNothing(LocalStack stack) throws Exception {
    SinkStopScenario.run(
        stack,
        ns,
        settings -> {
          settings.put(CommonSettings.SCHEMA_REGISTRY_URL, "http://127.0.0.1:1");
          return settings;
        },
        () -> {},
        () -> {},
        "the schema registry failed");
  }
}
