package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import kai.telemetry.sinks.clickhouse.ClickHouseErrors.Kind;
import org.junit.jupiter.api.Test;

/** One classification for both insert paths, from the answers ClickHouse and proxies give. */
class ClickHouseErrorsTest {
  @Test
  void serverCodesDecideWhereThereIsOne() {
    assertThat(ClickHouseErrors.of(500, "Code: 53, e.displayText() = DB::Exception: Type mismatch"))
        .isEqualTo(Kind.ROW);
    assertThat(ClickHouseErrors.of(500, "Code: 252. DB::Exception: Too many parts (300)."))
        .isEqualTo(Kind.TRANSIENT);
    assertThat(ClickHouseErrors.of(500, "Code: 243. DB::Exception: Cannot reserve 1.00 MiB"))
        .isEqualTo(Kind.STOP);
    assertThat(ClickHouseErrors.of(401, "Code: 516. DB::Exception: Authentication failed"))
        .isEqualTo(Kind.STOP);
    assertThat(ClickHouseErrors.of(500, "Code: 164. DB::Exception: kai_sink: Cannot execute"))
        .as("a read-only user")
        .isEqualTo(Kind.STOP);
    assertThat(ClickHouseErrors.of(500, "Code: 4242. DB::Exception: something new"))
        .as("an unknown code stops rather than losing rows")
        .isEqualTo(Kind.STOP);
  }

  @Test
  void withoutACodeTheTransportAndTheStatusDecide() {
    assertThat(ClickHouseErrors.of(502, "<html>502 Bad Gateway</html>")).isEqualTo(Kind.TRANSIENT);
    assertThat(ClickHouseErrors.of(503, "")).isEqualTo(Kind.TRANSIENT);
    assertThat(ClickHouseErrors.of(403, "Forbidden")).isEqualTo(Kind.STOP);
    assertThat(ClickHouseErrors.of(new SQLException("x", new ConnectException("refused"))))
        .isEqualTo(Kind.TRANSIENT);
    assertThat(
            ClickHouseErrors.of(
                new SQLException(
                    "Code: 60, e.displayText() = DB::Exception: Table kai.x doesn't exist")))
        .isEqualTo(Kind.STOP);
    assertThat(ClickHouseErrors.of(new IllegalStateException("driver could not read the answer")))
        .isEqualTo(Kind.STOP);
  }
}
