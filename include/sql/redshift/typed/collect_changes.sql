-- Redshift's form of include/sql/typed/take_new_runs.sql and queue_runs.sql in one file: no
-- RETURNING and no ON CONFLICT, and MERGE needs a table as its source, so the new runs are a
-- temporary table first. Inside the caller's transaction (Redshift's snapshot covers every
-- statement of it).
DROP TABLE IF EXISTS typed_new_runs;
CREATE TEMP TABLE typed_new_runs AS
SELECT m.run_key, m.loaded_at
FROM datalake_ops.run_manifest m
LEFT JOIN datalake_ops.typed_seen_runs s ON s.run_key = m.run_key AND s.loaded_at = m.loaded_at
WHERE m.pipeline = 'entity_operations_hourly' AND s.run_key IS NULL;
INSERT INTO datalake_ops.typed_pending (account, entity_id, entity_schema)
SELECT DISTINCT e.account, e.entity_id, e.schema
FROM typed_new_runs r
JOIN datalake_ops.entity_event_owner o ON o.run_key = r.run_key
JOIN epilot_datalake.entity_operations e ON e.id = o.id
WHERE NOT EXISTS (SELECT 1 FROM datalake_ops.typed_pending p
                  WHERE p.account = e.account AND p.entity_id = e.entity_id);
MERGE INTO datalake_ops.typed_seen_runs USING typed_new_runs n
ON datalake_ops.typed_seen_runs.run_key = n.run_key
WHEN MATCHED THEN UPDATE SET loaded_at = n.loaded_at
WHEN NOT MATCHED THEN INSERT (run_key, loaded_at) VALUES (n.run_key, n.loaded_at);
DROP TABLE typed_new_runs;
