-- The program of record: teams join in a phase and leave with a kind and a reason; a phase closes;
-- scoreboard rows say why a team left, whether it is tied on the advancing cut, and whether the
-- phase is closed. Every version of every scoreboard row is kept in phase_scoreboard_history.
ALTER TABLE ${db}.teams
    ADD COLUMN joined_phase Int32 DEFAULT 1,
    ADD COLUMN elimination Nullable(String),
    ADD COLUMN elimination_reason Nullable(String);

ALTER TABLE ${db}.evaluation_rules
    ADD COLUMN closed_ms Nullable(Int64);

ALTER TABLE ${db}.evaluation_scores
    ADD COLUMN evaluator Nullable(String);

ALTER TABLE ${db}.derivative_models
    ADD COLUMN source Nullable(String);

ALTER TABLE ${db}.phase_scoreboard
    ADD COLUMN status_reason Nullable(String),
    ADD COLUMN cut_tie UInt8 DEFAULT 0,
    ADD COLUMN closed UInt8 DEFAULT 0,
    ADD COLUMN benchmark_points_published UInt8 DEFAULT 0;

-- phase_scoreboard keeps the newest version of each row; this keeps them all, so analysts can ask
-- how the ranking moved and when.
CREATE TABLE IF NOT EXISTS ${db}.phase_scoreboard_history
(
    phase         Int32,
    team          String,
    team_status   String,
    status_reason Nullable(String),
    total         Float64,
    rank          Int32,
    passed        UInt8,
    cut_tie       UInt8,
    closed        UInt8,
    computed_ms   Int64,
    computed_at   DateTime('UTC'),
    version       UInt64
)
ENGINE = MergeTree
ORDER BY (phase, team, version);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.phase_scoreboard_history_mv
TO ${db}.phase_scoreboard_history
AS SELECT phase, team, team_status, status_reason, total, rank, passed, cut_tie, closed,
          computed_ms, computed_at, version
FROM ${db}.phase_scoreboard;

-- The analysts' scoreboard view, with why a team left, a tie on the cut, a closed phase and
-- whether the benchmark points are the evaluation body's.
DROP TABLE IF EXISTS ${db}.v_phase_scoreboard;

CREATE VIEW IF NOT EXISTS ${db}.v_phase_scoreboard AS
SELECT phase, team, team_name_ko, team_name_en, team_status,
    benchmark_points_nia, benchmark_points_global_common, benchmark_points_global_individual,
    benchmark_points, expert_points, user_points, total, rank, passed, elimination_line,
    frontier_index, frontier_index_nia, frontier_index_global_common,
    frontier_index_global_individual, derivative_models, computed_ms, computed_at,
    status_reason, cut_tie, closed, benchmark_points_published
FROM ${db}.phase_scoreboard FINAL;

CREATE VIEW IF NOT EXISTS ${db}.v_phase_scoreboard_history AS
SELECT phase, team, team_status, status_reason, total, rank, passed, cut_tie, closed,
    computed_ms, computed_at, version
FROM ${db}.phase_scoreboard_history;
