-- TeamFleetMinute v2: allocation and coverage, p95, activity, idle GPUs, power, energy,
-- GPU-hours and XID faults.
ALTER TABLE ${db}.team_fleet_1m
    ADD COLUMN gpu_allocation Nullable(Int32),
    ADD COLUMN coverage_pct Nullable(Float64),
    ADD COLUMN utilization_p95_pct Nullable(Float64),
    ADD COLUMN sm_active_mean Nullable(Float64),
    ADD COLUMN tensor_active_mean Nullable(Float64),
    ADD COLUMN idle_gpus Int32 DEFAULT 0,
    ADD COLUMN power_kw Nullable(Float64),
    ADD COLUMN energy_kwh Float64 DEFAULT 0,
    ADD COLUMN gpu_hours Float64 DEFAULT 0,
    ADD COLUMN xid_faults Int32 DEFAULT 0;
