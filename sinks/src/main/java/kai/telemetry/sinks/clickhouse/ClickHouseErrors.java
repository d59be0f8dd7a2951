package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failed insert means, decided in one place for every insert path: by ClickHouse's error
 * code ("Code: N" in the error text) or, without one, by the transport's failure or the HTTP
 * status.
 *
 * <ul>
 *   <li>{@link Kind#TRANSIENT}: the server or the network is briefly unable (refused or reset
 *       connections, timeouts, too many parts or queries, memory pressure, a replica's read-only
 *       table, an HTTP 5xx without a code as a proxy answers): retried with back-off; past the
 *       budget the sink stops.
 *   <li>{@link Kind#ROW}: a value does not fit its column: the batch is split until the row is
 *       found, and that row is dead-lettered with the reason.
 *   <li>{@link Kind#STOP}: the sink cannot write at all (authentication, a revoked grant, a
 *       read-only user, a missing table or column, a full disk), or the failure is one this list
 *       does not know: the sink stops without committing, so nothing a fix would land is
 *       dead-lettered.
 * </ul>
 */
public final class ClickHouseErrors {
  /** How the sink treats a failed insert. */
  public enum Kind {
    TRANSIENT,
    ROW,
    STOP
  }

  private static final Pattern CODE = Pattern.compile("Code: (\\d+)");

  /** ClickHouse error codes and their kinds (names as in ClickHouse's ErrorCodes). */
  static final Map<Integer, Kind> CODES =
      Map.ofEntries(
          // A value does not fit its column.
          Map.entry(6, Kind.ROW), // CANNOT_PARSE_TEXT
          Map.entry(26, Kind.ROW), // CANNOT_PARSE_QUOTED_STRING
          Map.entry(27, Kind.ROW), // CANNOT_PARSE_INPUT_ASSERTION_FAILED
          Map.entry(32, Kind.ROW), // ATTEMPT_TO_READ_AFTER_EOF
          Map.entry(33, Kind.ROW), // CANNOT_READ_ALL_DATA
          Map.entry(38, Kind.ROW), // CANNOT_PARSE_DATE
          Map.entry(41, Kind.ROW), // CANNOT_PARSE_DATETIME
          Map.entry(53, Kind.ROW), // TYPE_MISMATCH
          Map.entry(69, Kind.ROW), // ARGUMENT_OUT_OF_BOUND
          Map.entry(70, Kind.ROW), // CANNOT_CONVERT_TYPE
          Map.entry(72, Kind.ROW), // CANNOT_PARSE_NUMBER
          Map.entry(117, Kind.ROW), // INCORRECT_DATA
          Map.entry(131, Kind.ROW), // TOO_LARGE_STRING_SIZE
          Map.entry(321, Kind.ROW), // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
          Map.entry(349, Kind.ROW), // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
          // The server is briefly unable.
          Map.entry(159, Kind.TRANSIENT), // TIMEOUT_EXCEEDED
          Map.entry(160, Kind.TRANSIENT), // TOO_SLOW
          Map.entry(202, Kind.TRANSIENT), // TOO_MANY_SIMULTANEOUS_QUERIES
          Map.entry(203, Kind.TRANSIENT), // NO_FREE_CONNECTION
          Map.entry(209, Kind.TRANSIENT), // SOCKET_TIMEOUT
          Map.entry(210, Kind.TRANSIENT), // NETWORK_ERROR
          Map.entry(241, Kind.TRANSIENT), // MEMORY_LIMIT_EXCEEDED
          Map.entry(242, Kind.TRANSIENT), // TABLE_IS_READ_ONLY (a replica without its keeper)
          Map.entry(252, Kind.TRANSIENT), // TOO_MANY_PARTS (merges catch up)
          Map.entry(285, Kind.TRANSIENT), // TOO_FEW_LIVE_REPLICAS
          Map.entry(319, Kind.TRANSIENT), // UNKNOWN_STATUS_OF_INSERT
          Map.entry(425, Kind.TRANSIENT), // SYSTEM_ERROR
          Map.entry(999, Kind.TRANSIENT), // KEEPER_EXCEPTION
          // The sink cannot write at all: an operator must act.
          Map.entry(16, Kind.STOP), // NO_SUCH_COLUMN_IN_TABLE
          Map.entry(47, Kind.STOP), // UNKNOWN_IDENTIFIER
          Map.entry(60, Kind.STOP), // UNKNOWN_TABLE
          Map.entry(81, Kind.STOP), // UNKNOWN_DATABASE
          Map.entry(164, Kind.STOP), // READONLY (the user's profile)
          Map.entry(192, Kind.STOP), // UNKNOWN_USER
          Map.entry(193, Kind.STOP), // WRONG_PASSWORD
          Map.entry(194, Kind.STOP), // REQUIRED_PASSWORD
          Map.entry(243, Kind.STOP), // NOT_ENOUGH_SPACE
          Map.entry(497, Kind.STOP), // ACCESS_DENIED
          Map.entry(516, Kind.STOP)); // AUTHENTICATION_FAILED

  private ClickHouseErrors() {}

  /** The kind of a failure thrown by an insert (a driver's exception, its causes included). */
  public static Kind of(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      Integer code = code(String.valueOf(t.getMessage()));
      if (code != null) {
        return ofCode(code);
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = t.getClass().getName();
      String message = String.valueOf(t.getMessage());
      if (t instanceof IOException
          || name.contains("ConnectException")
          || name.contains("Timeout")
          || name.contains("NoHttpResponse")
          || name.contains("ConnectionClosed")
          || message.contains("Connection refused")
          || message.contains("connect timed out")) {
        return Kind.TRANSIENT;
      }
    }
    return Kind.STOP;
  }

  /** The kind of an HTTP answer other than 200 with body {@code body}. */
  public static Kind of(int status, String body) {
    Integer code = code(body);
    if (code != null) {
      return ofCode(code);
    }
    return status >= 500 ? Kind.TRANSIENT : Kind.STOP; // a proxy's 502/503; a proxy refusing us
  }

  /** An unlisted code stops the sink: better a stop an operator reads than rows lost for good. */
  static Kind ofCode(int code) {
    return CODES.getOrDefault(code, Kind.STOP);
  }

  private static Integer code(String text) {
    Matcher m = CODE.matcher(text);
    return m.find() ? Integer.valueOf(m.group(1)) : null;
  }
}
