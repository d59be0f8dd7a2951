-- Every raw event type and the reference data, queryable. Version columns of
-- ReplacingMergeTree(ver) are unsigned: ClickHouse 18.16 takes no other integer type there.
-- Natural keys in ORDER BY make a sink
-- replay collapse (ReplacingMergeTree); read with FINAL for exact counts.

CREATE TABLE IF NOT EXISTS ${db}.training_steps
(
    team           String,
    run_id         String,
    step           Int64,
    ts_ms          Int64,
    event_time     DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000)),
    tokens         Nullable(Int64),
    loss           Nullable(Float64),
    learning_rate  Nullable(Float64),
    grad_norm      Nullable(Float64),
    tokens_per_sec Nullable(Float64),
    step_time_ms   Nullable(Float64),
    source         String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, run_id, step, ts_ms);

CREATE TABLE IF NOT EXISTS ${db}.run_lifecycle
(
    team                String,
    run_id              String,
    ts_ms               Int64,
    event_time          DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000)),
    kind                String,
    step                Nullable(Int64),
    reason              Nullable(String),
    spec_model_name     Nullable(String),
    spec_parameters     Nullable(Int64),
    spec_layers         Nullable(Int32),
    spec_heads          Nullable(Int32),
    spec_head_dim       Nullable(Int32),
    spec_seq_len        Nullable(Int32),
    spec_planned_tokens Nullable(Int64),
    spec_gpu_count      Nullable(Int32),
    spec_gpu_type       Nullable(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, run_id, ts_ms, kind);

CREATE TABLE IF NOT EXISTS ${db}.benchmark_results
(
    team       String,
    model      String,
    checkpoint Nullable(String),
    benchmark  String,
    task       String,
    metric     String,
    score      Float64,
    scale_max  Float64,
    stderr     Nullable(Float64),
    n_shot     Nullable(Int32),
    evaluator  String,
    source     String,
    ts_ms      Int64,
    event_time DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, benchmark, model, metric, ts_ms);

CREATE TABLE IF NOT EXISTS ${db}.evaluation_scores
(
    team      String,
    phase     Int32,
    kind      String,
    score     Float64,
    max_score Float64,
    ts_ms     UInt64
)
ENGINE = ReplacingMergeTree(ts_ms)
ORDER BY (phase, team, kind);

CREATE TABLE IF NOT EXISTS ${db}.derivative_models
(
    team       String,
    base_model String,
    derivative String,
    publisher  Nullable(String),
    ts_ms      UInt64
)
ENGINE = ReplacingMergeTree(ts_ms)
ORDER BY (team, derivative);

CREATE TABLE IF NOT EXISTS ${db}.teams
(
    id                  String,
    name_ko             String,
    name_en             String,
    gpu_allocation      Int32,
    gpu_type            String,
    status              String,
    eliminated_in_phase Nullable(Int32),
    target_model        Nullable(String),
    updated_ms          UInt64
)
ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY id;

CREATE TABLE IF NOT EXISTS ${db}.benchmarks
(
    id             String,
    name           String,
    category       String,
    metric         String,
    scale_max      Float64,
    frontier_model Nullable(String),
    frontier_score Nullable(Float64),
    lm_eval_tasks  String,
    updated_ms     UInt64
)
ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY id;

CREATE TABLE IF NOT EXISTS ${db}.evaluation_rules
(
    phase                              Int32,
    benchmark_points_nia               Float64,
    benchmark_points_global_common     Float64,
    benchmark_points_global_individual Float64,
    expert_points                      Float64,
    user_points                        Float64,
    pass_threshold                     Float64,
    teams_advancing                    Nullable(Int32),
    frontier_target_ratio              Float64,
    updated_ms                         UInt64
)
ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY phase;

CREATE TABLE IF NOT EXISTS ${db}.collector_rejects
(
    team      String,
    collector String,
    source    String,
    reason    String,
    raw       String,
    ts_ms     Int64,
    event_time DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, collector, ts_ms, source);
