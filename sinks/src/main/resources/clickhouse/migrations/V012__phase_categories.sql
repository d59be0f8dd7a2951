-- Rules as data: a phase lists its scored categories (a later phase may add one), teams have their
-- own benchmarks and target scores (global individual), an evaluation names the category it
-- scores, and every scoreboard row carries its points per category. Lists land as comma-separated
-- text (the sink's rule for arrays); the views turn them back into arrays.
ALTER TABLE ${db}.teams
    ADD COLUMN individual_benchmarks String DEFAULT '';

ALTER TABLE ${db}.evaluation_rules
    ADD COLUMN categories String DEFAULT '';

ALTER TABLE ${db}.evaluation_scores
    ADD COLUMN category Nullable(String);

ALTER TABLE ${db}.phase_scoreboard
    ADD COLUMN categories String DEFAULT '',
    ADD COLUMN category_points String DEFAULT '',
    ADD COLUMN category_max_points String DEFAULT '',
    ADD COLUMN published_categories String DEFAULT '';

ALTER TABLE ${db}.phase_scoreboard_history
    ADD COLUMN categories String DEFAULT '',
    ADD COLUMN category_points String DEFAULT '';

-- The history's feed gains the category columns: recreated (the sink applies migrations before it
-- writes, so no row passes between the drop and the create).
DROP TABLE IF EXISTS ${db}.phase_scoreboard_history_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.phase_scoreboard_history_mv
TO ${db}.phase_scoreboard_history
AS SELECT phase, team, team_status, status_reason, total, rank, passed, cut_tie, closed,
          computed_ms, computed_at, version, categories, category_points
FROM ${db}.phase_scoreboard;

DROP TABLE IF EXISTS ${db}.v_phase_scoreboard;

CREATE VIEW IF NOT EXISTS ${db}.v_phase_scoreboard AS
SELECT phase, team, team_name_ko, team_name_en, team_status,
    benchmark_points_nia, benchmark_points_global_common, benchmark_points_global_individual,
    benchmark_points, expert_points, user_points, total, rank, passed, elimination_line,
    frontier_index, frontier_index_nia, frontier_index_global_common,
    frontier_index_global_individual, derivative_models, computed_ms, computed_at,
    status_reason, cut_tie, closed, benchmark_points_published,
    if(categories = '', emptyArrayString(), splitByChar(',', categories)) AS categories,
    arrayMap(x -> toFloat64(x),
        if(category_points = '', emptyArrayString(), splitByChar(',', category_points)))
        AS category_points,
    arrayMap(x -> toFloat64(x),
        if(category_max_points = '', emptyArrayString(), splitByChar(',', category_max_points)))
        AS category_max_points,
    if(published_categories = '', emptyArrayString(), splitByChar(',', published_categories))
        AS published_categories
FROM ${db}.phase_scoreboard FINAL;

DROP TABLE IF EXISTS ${db}.v_phase_scoreboard_history;

CREATE VIEW IF NOT EXISTS ${db}.v_phase_scoreboard_history AS
SELECT phase, team, team_status, status_reason, total, rank, passed, cut_tie, closed,
    computed_ms, computed_at, version,
    if(categories = '', emptyArrayString(), splitByChar(',', categories)) AS categories,
    arrayMap(x -> toFloat64(x),
        if(category_points = '', emptyArrayString(), splitByChar(',', category_points)))
        AS category_points
FROM ${db}.phase_scoreboard_history;

DROP TABLE IF EXISTS ${db}.v_teams;

CREATE VIEW IF NOT EXISTS ${db}.v_teams AS
SELECT id, name_ko, name_en, gpu_allocation, gpu_type, status, eliminated_in_phase, target_model,
    joined_phase, elimination, elimination_reason, individual_benchmarks
FROM ${db}.teams FINAL;

-- A closed phase's final standings, written once when the phase closes: its teams' latest official
-- results as they stood then. Later results change benchmark_standings, never these.
CREATE TABLE IF NOT EXISTS ${db}.phase_standings
(
    phase             Int32,
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
ORDER BY (phase, team, benchmark);

CREATE VIEW IF NOT EXISTS ${db}.v_phase_standings AS
SELECT phase, team, benchmark, category, model, checkpoint, score, scale_max, frontier_score,
    pct_of_frontier, gap_to_target_pct, evaluated_ms, evaluated_at
FROM ${db}.phase_standings FINAL;
