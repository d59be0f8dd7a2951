-- Stable analyst views: the documented public interface (docs/ANALYSTS.md). Each names its columns
-- explicitly, so a column added to a table later does not change a view, and reads with FINAL, so
-- a row replayed by the sink or re-emitted by a KPI job shows once, at its latest version.
-- Changing a view means a new migration that drops and re-creates it (18.16 has no CREATE OR
-- REPLACE).

CREATE VIEW IF NOT EXISTS ${db}.v_phase_scoreboard AS
SELECT phase, team, team_name_ko, team_name_en, team_status,
    benchmark_points_nia, benchmark_points_global_common, benchmark_points_global_individual,
    benchmark_points, expert_points, user_points, total, rank, passed, elimination_line,
    frontier_index, frontier_index_nia, frontier_index_global_common,
    frontier_index_global_individual, derivative_models, computed_ms, computed_at
FROM ${db}.phase_scoreboard FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_team_fleet_1m AS
SELECT team, window_start, window_start_ms, window_end_ms, gpus_reporting, gpu_allocation,
    coverage_pct, samples, utilization_mean_pct, utilization_p95_pct, sm_active_mean,
    tensor_active_mean, idle_gpus, power_kw, energy_kwh, gpu_hours, xid_faults
FROM ${db}.team_fleet_1m FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_cluster_fleet_1m AS
SELECT team, cluster, window_start, window_start_ms, window_end_ms, gpus_reporting, samples,
    utilization_mean_pct, utilization_p95_pct, sm_active_mean, tensor_active_mean, idle_gpus,
    power_kw, energy_kwh, gpu_hours, xid_faults
FROM ${db}.cluster_fleet_1m FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_run_1m AS
SELECT team, run_id, window_start, window_start_ms, window_end_ms, steps, last_step, last_ts_ms,
    tokens, tokens_per_sec, loss_last, loss_min, loss_max, loss_mean, loss_smoothed, nan_inf_count,
    spike_count, grad_norm_mean, grad_norm_max, planned_tokens, progress_pct, eta_seconds, mfu,
    ettr, interruptions
FROM ${db}.run_1m FINAL;

-- One row per run: its latest minute.
CREATE VIEW IF NOT EXISTS ${db}.v_run_status AS
SELECT team, run_id,
    max(window_start) AS last_minute,
    argMax(last_step, window_start_ms) AS last_step,
    argMax(tokens, window_start_ms) AS tokens,
    argMax(planned_tokens, window_start_ms) AS planned_tokens,
    argMax(progress_pct, window_start_ms) AS progress_pct,
    argMax(eta_seconds, window_start_ms) AS eta_seconds,
    argMax(tokens_per_sec, window_start_ms) AS tokens_per_sec,
    argMax(loss_smoothed, window_start_ms) AS loss_smoothed,
    argMax(mfu, window_start_ms) AS mfu,
    argMax(ettr, window_start_ms) AS ettr,
    argMax(interruptions, window_start_ms) AS interruptions,
    sum(nan_inf_count) AS nan_inf_count,
    sum(spike_count) AS spike_count
FROM ${db}.run_1m FINAL
GROUP BY team, run_id;

-- Downsampled loss curves (see V009): one row per run, axis, width and bucket. Choose the
-- smallest width with at most ~2,000 buckets for the range drawn. loss_* are NULL in a bucket
-- holding only NaN/Inf losses; has_nonfinite marks a bucket with any.
CREATE VIEW IF NOT EXISTS ${db}.v_training_curves AS
SELECT team, run_id, axis, width, bucket,
    maxMerge(x_last_state) AS x_last,
    maxMerge(step_last_state) AS step_last,
    maxMerge(ts_last_state) AS ts_last_ms,
    maxMerge(nonfinite_state) AS has_nonfinite,
    if(maxMerge(finite_state) = 1,
        minIfMerge(loss_min_state), NULL) AS loss_min,
    if(maxMerge(finite_state) = 1,
        maxIfMerge(loss_max_state), NULL) AS loss_max,
    if(maxMerge(finite_state) = 1,
        argMaxIfMerge(loss_last_state), NULL) AS loss_last,
    maxMerge(grad_norm_max_state) AS grad_norm_max
FROM ${db}.training_curve
GROUP BY team, run_id, axis, width, bucket;

CREATE VIEW IF NOT EXISTS ${db}.v_training_steps AS
SELECT team, run_id, step, ts_ms, event_time, tokens, loss, learning_rate, grad_norm,
    tokens_per_sec, step_time_ms, source
FROM ${db}.training_steps FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_benchmark_standings AS
SELECT team, benchmark, category, model, checkpoint, score, scale_max, frontier_score,
    pct_of_frontier, gap_to_target_pct, evaluated_ms, evaluated_at
FROM ${db}.benchmark_standings FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_benchmark_results AS
SELECT team, model, checkpoint, benchmark, task, metric, score, scale_max, stderr, n_shot,
    evaluator, source, ts_ms, event_time
FROM ${db}.benchmark_results FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_alerts AS
SELECT alert_id, kind, state, severity, team, subject, message, opened_ms, opened_at,
    resolved_ms, ts_ms
FROM ${db}.alerts FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_teams AS
SELECT id, name_ko, name_en, gpu_allocation, gpu_type, status, eliminated_in_phase, target_model
FROM ${db}.teams FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_benchmarks AS
SELECT id, name, category, metric, scale_max, frontier_model, frontier_score
FROM ${db}.benchmarks FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_derivative_models AS
SELECT team, base_model, derivative, publisher, ts_ms
FROM ${db}.derivative_models FINAL;
