-- Average and 90th-percentile duration of completed phases, per phase name, in hours.
-- Duration = DATEDIFF(second, started_at, completed_at) (whole seconds, as Redshift counts
-- them); phases without a start or an end are not counted.
WITH durations AS (
    SELECT org_id,
           name AS phase_name,
           CAST(DATEDIFF(second, started_at, completed_at) AS DOUBLE PRECISION) / 3600 AS hours
    FROM epilot_datalake.WorkflowPhases
    WHERE status = 'COMPLETED'
      AND started_at IS NOT NULL
      AND completed_at IS NOT NULL
)
SELECT org_id,
       phase_name,
       COUNT(*) AS completed_phases,
       AVG(hours) AS avg_hours,
       PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours
FROM durations
GROUP BY org_id, phase_name
ORDER BY org_id, phase_name;
