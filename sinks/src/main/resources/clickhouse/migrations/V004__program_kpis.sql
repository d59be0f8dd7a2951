-- A team's latest official score per benchmark against the frontier. Every recomputation
-- re-emits the standings with a higher version; FINAL reads the newest.
CREATE TABLE IF NOT EXISTS ${db}.benchmark_standings
(
    team              String,
    benchmark         String,
    category          String,
    model             String,
    checkpoint        Nullable(String),
    score             Float64,
    scale_max         Float64,
    frontier_score    Nullable(Float64),
    pct_of_frontier   Nullable(Float64),
    gap_to_target_pct Nullable(Float64),
    evaluated_ms      Int64,
    evaluated_at      DateTime('UTC') DEFAULT toDateTime(intDiv(evaluated_ms, 1000)),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team, benchmark);

-- The phase scoreboard: one row per phase and team, the newest version wins.
CREATE TABLE IF NOT EXISTS ${db}.phase_scoreboard
(
    phase                              Int32,
    team                               String,
    team_name_ko                       String,
    team_name_en                       String,
    team_status                        String,
    benchmark_points_nia               Float64,
    benchmark_points_global_common     Float64,
    benchmark_points_global_individual Float64,
    benchmark_points                   Float64,
    expert_points                      Float64,
    user_points                        Float64,
    total                              Float64,
    rank                               Int32,
    passed                             UInt8,
    elimination_line                   Float64,
    frontier_index                     Nullable(Float64),
    frontier_index_nia                 Nullable(Float64),
    frontier_index_global_common       Nullable(Float64),
    frontier_index_global_individual   Nullable(Float64),
    derivative_models                  Int64,
    computed_ms                        Int64,
    computed_at                        DateTime('UTC') DEFAULT toDateTime(intDiv(computed_ms, 1000)),
    version                            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (phase, team);
