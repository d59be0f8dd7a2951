-- Fleet KPIs per cluster: the same columns as team_fleet_1m, which holds the team totals
-- (cluster '*').
ALTER TABLE ${db}.team_fleet_1m ADD COLUMN cluster String DEFAULT '*';

CREATE TABLE IF NOT EXISTS ${db}.cluster_fleet_1m
(
    team                 String,
    cluster              String,
    window_start_ms      Int64,
    window_start         DateTime('UTC') DEFAULT toDateTime(intDiv(window_start_ms, 1000)),
    window_end_ms        Int64,
    gpus_reporting       Int32,
    samples              Int64,
    utilization_mean_pct Float64,
    version              UInt64,
    gpu_allocation       Nullable(Int32),
    coverage_pct         Nullable(Float64),
    utilization_p95_pct  Nullable(Float64),
    sm_active_mean       Nullable(Float64),
    tensor_active_mean   Nullable(Float64),
    idle_gpus            Int32 DEFAULT 0,
    power_kw             Nullable(Float64),
    energy_kwh           Float64 DEFAULT 0,
    gpu_hours            Float64 DEFAULT 0,
    xid_faults           Int32 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (team, cluster, window_start_ms)
SETTINGS index_granularity = 8192;
