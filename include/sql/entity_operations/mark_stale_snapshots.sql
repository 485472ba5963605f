-- Late data: this run loaded events of month X while a snapshot exists for a later
-- month. The snapshot state "as of the first instant of month S" is then stale for the first
-- existing snapshot month S > X (and possibly for the following ones: the refresh propagates
-- a change month by month). Runs in the load's transaction, after the dedupe, so stage_keys
-- holds exactly the keys of the rows this run inserted; the mark commits together with the
-- data. The load's temp tables (stage_keys, stage_latest) are dropped here, after their last reader.
-- Snapshot months are the run keys (YYYYMM) of the monthly DAG's manifests.
INSERT INTO datalake_ops.snapshot_refresh_needed (month_key, reason)
SELECT affected.month_key,
       'events of ' || MIN(affected.event_month) || ' loaded by entity_operations_hourly run ' || CAST(%(run_key)s AS varchar(128))
FROM (
    SELECT s.event_month, MIN(snap.run_key) AS month_key
    FROM (SELECT DISTINCT year || LPAD(month, 2, '0') AS event_month FROM stage_keys) s
    JOIN datalake_ops.run_manifest snap
      ON snap.pipeline = 'entity_operations_monthly_snapshot'
     AND snap.run_key > s.event_month
    GROUP BY s.event_month
) affected
WHERE NOT EXISTS (
    SELECT 1 FROM datalake_ops.snapshot_refresh_needed pending WHERE pending.month_key = affected.month_key
)
GROUP BY affected.month_key;

DROP TABLE stage_keys;
DROP TABLE stage_latest;
