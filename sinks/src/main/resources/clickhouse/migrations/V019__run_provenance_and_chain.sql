-- RunLifecycle v2: a checkpoint's content hash, what a run starts from and builds on (declared at
-- STARTED), and the run's hash chain (prev_hash, event_hash; `kai verify-run-chain`).
ALTER TABLE ${db}.run_lifecycle
    ADD COLUMN checkpoint_hash Nullable(String),
    ADD COLUMN provenance_init Nullable(String),
    ADD COLUMN provenance_base_model Nullable(String),
    ADD COLUMN provenance_base_model_hash Nullable(String),
    ADD COLUMN provenance_tokenizer Nullable(String),
    ADD COLUMN provenance_data_mixture_id Nullable(String),
    ADD COLUMN provenance_components Nullable(String),
    ADD COLUMN prev_hash Nullable(String),
    ADD COLUMN event_hash Nullable(String);

-- Each run's declared provenance (NULL for a run that declared none), with the phase it started
-- in (1 + the phases closed before its STARTED event, else its first event). builds_on_others = 1
-- when the run starts from a base model or declares third-party components with weights: the
-- runs the program office reviews for originality.
-- components is a JSON array of {name, source, license, hash}.
CREATE VIEW IF NOT EXISTS ${db}.v_run_provenance AS
SELECT team, run_id, indexOf(arraySort(arrayPushBack(closes, started_ms)), started_ms) AS phase,
    started_ms, model_name, init, base_model, base_model_hash, tokenizer, data_mixture_id,
    components, length(extractAll(ifNull(components, ''), '"name":')) AS third_party_components,
    toUInt8(ifNull(init, '') = 'base_model' OR third_party_components > 0) AS builds_on_others
FROM
(
    SELECT team, run_id, toUInt8(1) AS one,
        if(countIf(kind = 'STARTED') > 0, minIf(ts_ms, kind = 'STARTED'), min(ts_ms)) AS started_ms,
        anyIf(spec_model_name, kind = 'STARTED') AS model_name,
        anyIf(provenance_init, kind = 'STARTED') AS init,
        anyIf(provenance_base_model, kind = 'STARTED') AS base_model,
        anyIf(provenance_base_model_hash, kind = 'STARTED') AS base_model_hash,
        anyIf(provenance_tokenizer, kind = 'STARTED') AS tokenizer,
        anyIf(provenance_data_mixture_id, kind = 'STARTED') AS data_mixture_id,
        anyIf(provenance_components, kind = 'STARTED') AS components
    FROM ${db}.run_lifecycle FINAL
    GROUP BY team, run_id
) AS started
ANY LEFT JOIN
(
    SELECT toUInt8(1) AS one, groupArray(assumeNotNull(closed_ms)) AS closes
    FROM ${db}.evaluation_rules FINAL
    WHERE isNotNull(closed_ms)
) AS phases USING one;

-- The compute ledger, per team and minute, in GPU-hours: allocated (the team's allocation for the
-- minute), metered (GPUs reporting samples, from the fleet KPIs) and implied by its runs' claims
-- (claimed tokens/s x FLOPs per token at the declared GPUs' peak: mfu x declared GPUs / 60, the
-- GPU-hours the claim needs at 100% MFU, a lower bound). Implied above metered means the claims
-- need more compute than was seen working. A run with an unknown GPU model has no MFU and counts
-- 0 here (its UNKNOWN_GPU_MODEL alert says so). Sum over minutes for cumulative figures.
CREATE VIEW IF NOT EXISTS ${db}.v_compute_ledger AS
SELECT team, window_start_ms, toDateTime(intDiv(window_start_ms, 1000)) AS window_start,
    sum(allocated) AS allocated_gpu_hours, sum(metered) AS metered_gpu_hours,
    sum(implied) AS implied_gpu_hours
FROM
(
    SELECT team, window_start_ms, toFloat64(ifNull(gpu_allocation, 0)) / 60 AS allocated,
        toFloat64(gpu_hours) AS metered, toFloat64(0) AS implied
    FROM ${db}.team_fleet_1m FINAL
    UNION ALL
    SELECT team, window_start_ms, toFloat64(0) AS allocated, toFloat64(0) AS metered,
        ifNull(mfu * gpus_declared / 60, 0) AS implied
    FROM
    (
        SELECT team, run_id, window_start_ms, mfu
        FROM ${db}.run_1m FINAL
    ) AS minute
    ANY LEFT JOIN
    (
        SELECT team, run_id, toFloat64(ifNull(any(spec_gpu_count), 0)) AS gpus_declared
        FROM ${db}.run_lifecycle
        WHERE kind = 'STARTED'
        GROUP BY team, run_id
    ) AS spec USING (team, run_id)
)
GROUP BY team, window_start_ms;
