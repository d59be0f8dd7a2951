-- GpuSample v3: utilization may be missing (a dcgm-exporter profile with neither GPU_UTIL nor
-- GR_ENGINE_ACTIVE still reports power, memory and temperature): null, never 0. The fleet minutes'
-- mean is null when none of the minute's samples reported utilization. Where the GPU sits in
-- Kubernetes, its PCI bus id and the driver version are kept.
ALTER TABLE ${db}.gpu_samples
    MODIFY COLUMN utilization_pct Nullable(Float64),
    ADD COLUMN k8s_namespace Nullable(String),
    ADD COLUMN k8s_pod Nullable(String),
    ADD COLUMN k8s_container Nullable(String),
    ADD COLUMN pci_bus_id Nullable(String),
    ADD COLUMN driver_version Nullable(String);

ALTER TABLE ${db}.team_fleet_1m
    MODIFY COLUMN utilization_mean_pct Nullable(Float64);

ALTER TABLE ${db}.cluster_fleet_1m
    MODIFY COLUMN utilization_mean_pct Nullable(Float64);
