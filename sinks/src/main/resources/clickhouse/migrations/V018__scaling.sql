-- The ministry's scaling view: each run's best loss against the training compute it has used
-- (its latest tokens x its declared FLOPs per token, 6N + 12 L H Q T as for MFU; NULL, never 0,
-- without a spec), with the phase it ran in: a run belongs to the first phase not closed when it
-- started (closed before its STARTED event or its first minute, whichever is earlier). Read log-log:
-- training_flops against best_loss, one series per team and phase.
CREATE VIEW IF NOT EXISTS ${db}.v_scaling AS
-- The phase: 1 + the closes before the start, found by sorting the start among them.
SELECT team, run_id, indexOf(arraySort(arrayPushBack(closes, started_ms)), started_ms) AS phase,
    training_flops, best_loss, started_ms
FROM
(
    SELECT team, run_id, one, best_loss,
        if(fpt > 0, tokens * fpt, NULL) AS training_flops,
        if(started_spec > 0, least(started_spec, first_minute), first_minute) AS started_ms
    FROM
    (
        SELECT team, run_id, toUInt8(1) AS one, max(tokens) AS tokens,
            min(loss_min) AS best_loss, min(window_start_ms) AS first_minute
        FROM ${db}.run_1m FINAL
        GROUP BY team, run_id
    ) AS runs
    ANY LEFT JOIN
    (
        SELECT team, run_id, min(ts_ms) AS started_spec,
            max(ifNull(6 * toFloat64(spec_parameters)
                + 12 * toFloat64(spec_layers) * spec_heads * spec_head_dim * spec_seq_len, 0))
                AS fpt
        FROM ${db}.run_lifecycle
        WHERE kind = 'STARTED'
        GROUP BY team, run_id
    ) AS spec USING (team, run_id)
) AS scaled
ANY LEFT JOIN
(
    SELECT toUInt8(1) AS one, groupArray(assumeNotNull(closed_ms)) AS closes
    FROM ${db}.evaluation_rules FINAL
    WHERE isNotNull(closed_ms)
) AS phases USING one;
