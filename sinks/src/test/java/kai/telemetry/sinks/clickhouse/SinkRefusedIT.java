package kai.telemetry.sinks.clickhouse;

import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ClickHouse refuses the sink's writes for a reason that is not the rows' (here the table is gone,
 * renamed away by an operator): the sink stops without dead-lettering or committing anything;
 * started again once the table is back, it lands every record exactly once.
 */
@ExtendWith(RealStackExtension.class)
class SinkRefusedIT {
  private final TestNamespace ns = TestNamespace.of(SinkRefusedIT.class);

  @Test
  void aTableThatIsGoneStopsTheSinkAndSkipsNothing(LocalStack stack) throws Exception {
    String table = ns.database() + ".gpu_samples";
    String url = stack.clickhouse().httpUrl();
    SinkStopScenario.run(
        stack,
        ns,
        settings -> settings,
        () -> execute(url, "RENAME TABLE " + table + " TO " + table + "_away"),
        () -> execute(url, "RENAME TABLE " + table + "_away TO " + table),
        "Code: 60");
  }

  private static void execute(String url, String sql) {
    try (ClickHouseHttp ch = new ClickHouseHttp(url)) {
      ch.execute(sql);
    }
  }
}
