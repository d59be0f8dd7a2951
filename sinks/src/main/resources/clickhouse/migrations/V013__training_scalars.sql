-- Named values a run logs besides its training loss: validation loss, eval_* metrics, TensorBoard
-- scalars, a trainer's final summary. One row per run, name and step; a replayed insert collapses
-- (ReplacingMergeTree on the natural key; read with FINAL or through the view).

CREATE TABLE IF NOT EXISTS ${db}.training_scalars
(
    team       String,
    run_id     String,
    step       Int64,
    ts_ms      Int64,
    event_time DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000)),
    name       String,
    value      Float64,
    source     String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, run_id, name, step, ts_ms);

CREATE VIEW IF NOT EXISTS ${db}.v_training_scalars AS
SELECT team, run_id, name, step, ts_ms, event_time, value, source
FROM ${db}.training_scalars FINAL;
