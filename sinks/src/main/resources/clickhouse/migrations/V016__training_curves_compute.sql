-- Loss against training compute, the axis scaling-law curves of different model sizes share:
-- on the tokens axis, x times the run's FLOPs per token from its declared model spec (the STARTED
-- event), 6N + 12 L H Q T as for MFU (docs/KPIS.md). training_flops is NULL, never 0, on the step
-- axis and for a run that declared no spec. Read with axis = 'tokens'.
CREATE VIEW IF NOT EXISTS ${db}.v_training_curves_compute AS
SELECT team, run_id, axis, width, bucket, x_last,
    if(axis = 'tokens' AND fpt > 0, x_last * fpt, NULL) AS training_flops,
    if(fpt > 0, fpt, NULL) AS flops_per_token,
    model_name, loss_min, loss_max, loss_last, has_nonfinite
FROM ${db}.v_training_curves
ANY LEFT JOIN
(
    SELECT team, run_id, any(spec_model_name) AS model_name,
        6 * any(spec_parameters)
            + 12 * any(spec_layers) * any(spec_heads) * any(spec_head_dim) * any(spec_seq_len)
            AS fpt
    FROM ${db}.run_lifecycle
    WHERE kind = 'STARTED' AND isNotNull(spec_parameters)
    GROUP BY team, run_id
) AS spec USING (team, run_id);
