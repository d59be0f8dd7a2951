-- Training KPIs per run per minute. ReplacingMergeTree(version): the fullest update of a window
-- wins, so a replayed or re-emitted update never doubles a row.
CREATE TABLE IF NOT EXISTS ${db}.run_1m
(
    team            String,
    run_id          String,
    window_start_ms Int64,
    window_start    DateTime('UTC') DEFAULT toDateTime(intDiv(window_start_ms, 1000)),
    window_end_ms   Int64,
    steps           Int64,
    last_step       Int64,
    last_ts_ms      Int64,
    tokens          Nullable(Int64),
    tokens_per_sec  Nullable(Float64),
    loss_last       Nullable(Float64),
    loss_min        Nullable(Float64),
    loss_max        Nullable(Float64),
    loss_mean       Nullable(Float64),
    loss_smoothed   Nullable(Float64),
    nan_inf_count   Int64,
    spike_count     Int64,
    grad_norm_mean  Nullable(Float64),
    grad_norm_max   Nullable(Float64),
    planned_tokens  Nullable(Int64),
    progress_pct    Nullable(Float64),
    eta_seconds     Nullable(Float64),
    mfu             Nullable(Float64),
    ettr            Nullable(Float64),
    interruptions   Int64,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (team, run_id, window_start_ms)
SETTINGS index_granularity = 8192;
