-- Training curves for comparison: per run, loss downsampled into buckets of fixed widths along
-- two axes (step, tokens), keeping min, max and last per bucket so a spike stays visible at every
-- resolution. Widths grow by 8x: a chart picks the smallest width giving <= 2,000 buckets
-- (1,000,000 steps -> width 512 -> 1,954 points). Every aggregate is idempotent (min, max,
-- argMax), so a replayed insert into training_steps changes nothing here.
CREATE TABLE IF NOT EXISTS ${db}.training_curve
(
    team            String,
    run_id          String,
    axis            String,
    width           UInt64,
    bucket          Int64,
    loss_min_state        AggregateFunction(minIf, Float64, UInt8),
    loss_max_state        AggregateFunction(maxIf, Float64, UInt8),
    loss_last_state       AggregateFunction(argMaxIf, Float64, Int64, UInt8),
    grad_norm_max_state   AggregateFunction(max, Float64),
    x_last_state          AggregateFunction(max, Int64),
    step_last_state       AggregateFunction(max, Int64),
    ts_last_state         AggregateFunction(max, Int64),
    finite_state          AggregateFunction(max, UInt8),
    nonfinite_state       AggregateFunction(max, UInt8)
)
ENGINE = AggregatingMergeTree
ORDER BY (team, run_id, axis, width, bucket);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.training_curve_by_step TO ${db}.training_curve AS
SELECT team, run_id, 'step' AS axis, width, intDiv(step, width) * width AS bucket,
    minIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_min_state,
    maxIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_max_state,
    argMaxIfState(assumeNotNull(loss), step, isFinite(assumeNotNull(loss))) AS loss_last_state,
    maxState(ifNull(grad_norm, 0)) AS grad_norm_max_state,
    maxState(step) AS x_last_state,
    maxState(step) AS step_last_state,
    maxState(ts_ms) AS ts_last_state,
    maxState(isFinite(assumeNotNull(loss))) AS finite_state,
    maxState(NOT isFinite(assumeNotNull(loss))) AS nonfinite_state
FROM ${db}.training_steps
ARRAY JOIN [toUInt64(1), 8, 64, 512, 4096, 32768] AS width
WHERE loss IS NOT NULL
GROUP BY team, run_id, width, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.training_curve_by_tokens TO ${db}.training_curve AS
SELECT team, run_id, 'tokens' AS axis, width, intDiv(assumeNotNull(tokens), width) * width AS bucket,
    minIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_min_state,
    maxIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_max_state,
    argMaxIfState(assumeNotNull(loss), step, isFinite(assumeNotNull(loss))) AS loss_last_state,
    maxState(ifNull(grad_norm, 0)) AS grad_norm_max_state,
    maxState(assumeNotNull(tokens)) AS x_last_state,
    maxState(step) AS step_last_state,
    maxState(ts_ms) AS ts_last_state,
    maxState(isFinite(assumeNotNull(loss))) AS finite_state,
    maxState(NOT isFinite(assumeNotNull(loss))) AS nonfinite_state
FROM ${db}.training_steps
ARRAY JOIN [toUInt64(1048576), 8388608, 67108864, 536870912, 4294967296, 34359738368, 274877906944, 2199023255552] AS width
WHERE loss IS NOT NULL AND tokens IS NOT NULL
GROUP BY team, run_id, width, bucket;

-- Curves for the steps stored before this migration (the views above see only new inserts).
-- Rows inserted meanwhile are counted twice, which the idempotent aggregates absorb.
INSERT INTO ${db}.training_curve
SELECT team, run_id, 'step' AS axis, width, intDiv(step, width) * width AS bucket,
    minIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_min_state,
    maxIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_max_state,
    argMaxIfState(assumeNotNull(loss), step, isFinite(assumeNotNull(loss))) AS loss_last_state,
    maxState(ifNull(grad_norm, 0)) AS grad_norm_max_state,
    maxState(step) AS x_last_state,
    maxState(step) AS step_last_state,
    maxState(ts_ms) AS ts_last_state,
    maxState(isFinite(assumeNotNull(loss))) AS finite_state,
    maxState(NOT isFinite(assumeNotNull(loss))) AS nonfinite_state
FROM ${db}.training_steps
ARRAY JOIN [toUInt64(1), 8, 64, 512, 4096, 32768] AS width
WHERE loss IS NOT NULL
GROUP BY team, run_id, width, bucket;

INSERT INTO ${db}.training_curve
SELECT team, run_id, 'tokens' AS axis, width, intDiv(assumeNotNull(tokens), width) * width AS bucket,
    minIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_min_state,
    maxIfState(assumeNotNull(loss), isFinite(assumeNotNull(loss))) AS loss_max_state,
    argMaxIfState(assumeNotNull(loss), step, isFinite(assumeNotNull(loss))) AS loss_last_state,
    maxState(ifNull(grad_norm, 0)) AS grad_norm_max_state,
    maxState(assumeNotNull(tokens)) AS x_last_state,
    maxState(step) AS step_last_state,
    maxState(ts_ms) AS ts_last_state,
    maxState(isFinite(assumeNotNull(loss))) AS finite_state,
    maxState(NOT isFinite(assumeNotNull(loss))) AS nonfinite_state
FROM ${db}.training_steps
ARRAY JOIN [toUInt64(1048576), 8388608, 67108864, 536870912, 4294967296, 34359738368, 274877906944, 2199023255552] AS width
WHERE loss IS NOT NULL AND tokens IS NOT NULL
GROUP BY team, run_id, width, bucket;
