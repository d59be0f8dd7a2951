-- Raw GPU samples. ts_ms is the truth; event_time is derived for partitions, keys and Grafana.
-- ReplacingMergeTree on the natural key (GPU, event time): a sample written twice after a sink
-- replay collapses to one row on merge and in FINAL reads.
CREATE TABLE IF NOT EXISTS ${db}.gpu_samples
(
    team            String,
    cluster         String,
    node            String,
    gpu_uuid        String,
    gpu_index       Int32,
    ts_ms           Int64,
    event_time      DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000)),
    utilization_pct Float64,
    mem_used_mib    Nullable(Float64),
    mem_total_mib   Nullable(Float64),
    power_w         Nullable(Float64),
    temperature_c   Nullable(Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, cluster, gpu_uuid, ts_ms)
SETTINGS index_granularity = 8192;

-- Fleet KPI per team per minute. Streams re-emits a window as it fills; version grows with it,
-- so ReplacingMergeTree(version) keeps the fullest row and FINAL reads only that one.
CREATE TABLE IF NOT EXISTS ${db}.team_fleet_1m
(
    team                 String,
    window_start_ms      Int64,
    window_start         DateTime('UTC') DEFAULT toDateTime(intDiv(window_start_ms, 1000)),
    window_end_ms        Int64,
    gpus_reporting       Int32,
    samples              Int64,
    utilization_mean_pct Float64,
    version              UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (team, window_start_ms)
SETTINGS index_granularity = 8192;
