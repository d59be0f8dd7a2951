-- Curves on every axis the teams compare runs on, one row per run, axis, width and bucket (as
-- v_training_curves): step, tokens, training compute (tokens x the declared FLOPs per token,
-- NULL without a spec), wall-clock time and hours since the run started. A run starts at its
-- STARTED event or at its first step, whichever is earlier (NULL if neither is known).
CREATE VIEW IF NOT EXISTS ${db}.v_training_curves_axes AS
SELECT team, run_id, axis, width, bucket, step_last,
    if(axis = 'tokens', x_last, NULL) AS tokens,
    if(axis = 'tokens' AND fpt > 0, x_last * fpt, NULL) AS training_flops,
    ts_last_ms, toDateTime(intDiv(ts_last_ms, 1000)) AS time,
    if(started_ms > 0, (ts_last_ms - started_ms) / 3600000, NULL) AS hours_since_start,
    loss_min, loss_max, loss_last, has_nonfinite
FROM ${db}.v_training_curves
ANY LEFT JOIN
(
    SELECT team, run_id, min(start_ms) AS started_ms, max(fpt) AS fpt
    FROM
    (
        SELECT team, run_id, ts_ms AS start_ms,
            ifNull(6 * toFloat64(spec_parameters)
                + 12 * toFloat64(spec_layers) * spec_heads * spec_head_dim * spec_seq_len, 0)
                AS fpt
        FROM ${db}.run_lifecycle
        WHERE kind = 'STARTED'
        UNION ALL
        SELECT team, run_id, min(ts_ms) AS start_ms, toFloat64(0) AS fpt
        FROM ${db}.training_steps
        GROUP BY team, run_id
    )
    GROUP BY team, run_id
) AS run USING (team, run_id);

-- Where every run stands at the time of the query, not at its last step: while a run that has
-- not finished logs nothing, its wall time grows and its productive time does not, so
-- ettr_now = ettr x (last step - start) / (now - start), and the ETA stretches with it.
-- stalled_seconds: since the run's last step (0 once FINISHED).
CREATE VIEW IF NOT EXISTS ${db}.v_run_live AS
SELECT team, run_id, last_step, tokens, planned_tokens, progress_pct, tokens_per_sec, mfu,
    interruptions, last_ts_ms, started_ms, finished,
    if(finished = 1, 0, greatest(toInt64(now()) * 1000 - last_ts_ms, 0) / 1000) AS stalled_seconds,
    ettr AS ettr_at_last_step,
    if(finished = 0 AND isNotNull(ettr) AND started_ms > 0 AND last_ts_ms > started_ms,
        ettr * (last_ts_ms - started_ms)
            / (greatest(toInt64(now()) * 1000, last_ts_ms) - started_ms),
        ettr) AS ettr_now,
    if(isNotNull(planned_tokens) AND isNotNull(tokens) AND tokens_per_sec > 0,
        greatest(planned_tokens - tokens, 0) / tokens_per_sec
            / if(ettr_now > 0, ettr_now, 1),
        NULL) AS eta_now_seconds
FROM
(
    SELECT team, run_id,
        argMax(last_step, window_start_ms) AS last_step,
        argMax(last_ts_ms, window_start_ms) AS last_ts_ms,
        argMax(tokens, window_start_ms) AS tokens,
        argMax(planned_tokens, window_start_ms) AS planned_tokens,
        argMax(progress_pct, window_start_ms) AS progress_pct,
        argMax(tokens_per_sec, window_start_ms) AS tokens_per_sec,
        argMax(mfu, window_start_ms) AS mfu,
        argMax(ettr, window_start_ms) AS ettr,
        argMax(interruptions, window_start_ms) AS interruptions
    FROM ${db}.run_1m FINAL
    GROUP BY team, run_id
) AS latest
ANY LEFT JOIN
(
    SELECT team, run_id, min(start_ms) AS started_ms, max(ended) AS finished
    FROM
    (
        SELECT team, run_id, if(kind = 'STARTED', ts_ms, toInt64(9223372036854775807)) AS start_ms,
            toUInt8(kind = 'FINISHED') AS ended
        FROM ${db}.run_lifecycle
        UNION ALL
        SELECT team, run_id, min(ts_ms) AS start_ms, toUInt8(0) AS ended
        FROM ${db}.training_steps
        GROUP BY team, run_id
    )
    GROUP BY team, run_id
) AS life USING (team, run_id);

-- MFU on the GPUs declared and on the GPUs observed working for the run: the GPUs whose samples
-- carry the run's id in the minute (dcgm-exporter's pod or run label, the collector's run
-- setting). mfu_observed = mfu x gpus_declared / gpus_observed: a run on fewer GPUs than it
-- declared used each of them harder. NULL where no sample names the run or no spec was declared.
-- The run's compute ledger for the minute, in GPU-hours: declared (its GPUs for the minute),
-- metered (the GPUs seen) and implied by its claim (mfu x declared GPUs / 60: what the claimed
-- tokens need at 100% MFU).
CREATE VIEW IF NOT EXISTS ${db}.v_run_mfu AS
SELECT team, run_id, window_start_ms, toDateTime(intDiv(window_start_ms, 1000)) AS window_start,
    mfu AS mfu_declared, gpus_declared, gpus_observed,
    if(gpus_observed > 0 AND gpus_declared > 0 AND isNotNull(mfu),
        mfu * gpus_declared / gpus_observed, NULL) AS mfu_observed,
    gpus_declared / 60 AS declared_gpu_hours, gpus_observed / 60 AS metered_gpu_hours,
    if(isNotNull(mfu), mfu * gpus_declared / 60, NULL) AS implied_gpu_hours
FROM
(
    SELECT team, run_id, window_start_ms, mfu, gpus_declared
    FROM ${db}.run_1m FINAL
    ANY LEFT JOIN
    (
        SELECT team, run_id, toInt64(ifNull(any(spec_gpu_count), 0)) AS gpus_declared
        FROM ${db}.run_lifecycle
        WHERE kind = 'STARTED'
        GROUP BY team, run_id
    ) AS spec USING (team, run_id)
) AS minute
ANY LEFT JOIN
(
    SELECT team, assumeNotNull(run_id) AS run_id,
        intDiv(ts_ms, 60000) * 60000 AS window_start_ms,
        toInt64(uniqExact(gpu_uuid)) AS gpus_observed
    FROM ${db}.gpu_samples
    WHERE isNotNull(run_id) AND run_id != ''
    GROUP BY team, run_id, window_start_ms
) AS seen USING (team, run_id, window_start_ms);
