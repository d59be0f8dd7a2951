-- GpuSample v2: the rest of what dcgm-exporter and nvidia-smi report. All nullable: a source
-- that does not report a field leaves it null, never 0.
ALTER TABLE ${db}.gpu_samples
    ADD COLUMN model_name Nullable(String),
    ADD COLUMN run_id Nullable(String),
    ADD COLUMN mem_copy_util_pct Nullable(Float64),
    ADD COLUMN mem_free_mib Nullable(Float64),
    ADD COLUMN gr_engine_active Nullable(Float64),
    ADD COLUMN sm_active Nullable(Float64),
    ADD COLUMN tensor_active Nullable(Float64),
    ADD COLUMN dram_active Nullable(Float64),
    ADD COLUMN energy_mj Nullable(Int64),
    ADD COLUMN memory_temperature_c Nullable(Float64),
    ADD COLUMN sm_clock_mhz Nullable(Float64),
    ADD COLUMN xid_last Nullable(Int32);
