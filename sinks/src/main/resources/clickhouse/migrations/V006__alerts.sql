-- Alert episodes: the OPEN row (version 1) is replaced by the RESOLVED row (version 2).
CREATE TABLE IF NOT EXISTS ${db}.alerts
(
    alert_id    String,
    kind        String,
    state       String,
    severity    String,
    team        String,
    subject     String,
    message     String,
    opened_ms   Int64,
    opened_at   DateTime('UTC') DEFAULT toDateTime(intDiv(opened_ms, 1000)),
    resolved_ms Nullable(Int64),
    ts_ms       Int64,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (team, alert_id);
