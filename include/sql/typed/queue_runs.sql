-- The entities of the runs take_new_runs.sql took, queued per organisation. Deleted entities
-- are queued too (their delete event names them), and leave their table.
-- The run keys are written in as literals: the planner then estimates each run's events from
-- the statistics of that key. Joined with the new runs instead, it estimated them from the
-- average run (a warehouse's first run may hold every entity) and read the whole event table
-- to find a few hundred events.
INSERT INTO datalake_ops.typed_pending (account, entity_id, entity_schema)
SELECT DISTINCT e.account, e.entity_id, e.schema
FROM datalake_ops.entity_event_owner o
JOIN epilot_datalake.entity_operations e ON e.id = o.id
WHERE o.run_key IN ({{ run_keys }})
ON CONFLICT (account, entity_id) DO NOTHING
