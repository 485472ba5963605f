-- The entities of hourly runs loaded since the typed tables last took them (new runs, and runs
-- loaded again by a rerun or backfill: a newer loaded_at), queued per organisation. One
-- statement, so that the runs marked seen are exactly the runs whose entities were queued.
-- Deleted entities are queued too (their delete event names them), and leave their table.
WITH new_runs AS (
    SELECT m.run_key, m.loaded_at
    FROM datalake_ops.run_manifest m
    LEFT JOIN datalake_ops.typed_seen_runs s ON s.run_key = m.run_key AND s.loaded_at = m.loaded_at
    WHERE m.pipeline = 'entity_operations_hourly' AND s.run_key IS NULL
), seen AS (
    INSERT INTO datalake_ops.typed_seen_runs (run_key, loaded_at)
    SELECT run_key, loaded_at FROM new_runs
    ON CONFLICT (run_key) DO UPDATE SET loaded_at = EXCLUDED.loaded_at
)
INSERT INTO datalake_ops.typed_pending (account, entity_id, entity_schema)
SELECT DISTINCT e.account, e.entity_id, e.schema
FROM new_runs r
JOIN datalake_ops.entity_event_owner o ON o.run_key = r.run_key
JOIN epilot_datalake.entity_operations e ON e.id = o.id
ON CONFLICT (account, entity_id) DO NOTHING
