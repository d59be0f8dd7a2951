-- BenchmarkResult v2: a benchmark's score and, beside it, each of its subtasks' own scores
-- (subtask = 1), so the table's key includes the task: rows of several subtasks of one benchmark
-- no longer replace each other. The table is rebuilt with the new key and its rows copied.

CREATE TABLE IF NOT EXISTS ${db}.benchmark_results_by_task
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
    event_time DateTime('UTC') DEFAULT toDateTime(intDiv(ts_ms, 1000)),
    subtask    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (team, benchmark, model, metric, task, ts_ms);

INSERT INTO ${db}.benchmark_results_by_task
    (team, model, checkpoint, benchmark, task, metric, score, scale_max, stderr, n_shot,
     evaluator, source, ts_ms, event_time, subtask)
SELECT team, model, checkpoint, benchmark, task, metric, score, scale_max, stderr, n_shot,
    evaluator, source, ts_ms, event_time, 0
FROM ${db}.benchmark_results;

DROP TABLE ${db}.benchmark_results;

RENAME TABLE ${db}.benchmark_results_by_task TO ${db}.benchmark_results;

DROP TABLE IF EXISTS ${db}.v_benchmark_results;

CREATE VIEW IF NOT EXISTS ${db}.v_benchmark_results AS
SELECT team, model, checkpoint, benchmark, task, metric, score, scale_max, stderr, n_shot,
    evaluator, source, ts_ms, event_time, subtask
FROM ${db}.benchmark_results FINAL;
