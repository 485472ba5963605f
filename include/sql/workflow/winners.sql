-- Which executions this run changes, and to which event's state.
-- Order of states: lastUpdateTime, then a delete before an update with the same
-- lastUpdateTime (a delete is final), then the event id (deterministic). Same SQL on Redshift.

-- Every accepted event is owned by this run (duplicates of it in later hours are dropped).
DELETE FROM datalake_ops.workflow_event_owner
USING stage_workflow_events s
WHERE datalake_ops.workflow_event_owner.id = s.event_id;

INSERT INTO datalake_ops.workflow_event_owner (id, run_key, content_hash)
SELECT event_id, CAST(%(run_key)s AS varchar(128)), content_hash FROM stage_workflow_events;

-- The run's latest state per execution.
CREATE TEMP TABLE workflow_winners AS
SELECT event_id, execution_id, org_id, last_update_time, deleted, _seq
FROM (
    SELECT s.event_id, s.execution_id, s.org_id, s.last_update_time, s.deleted, s._seq,
           ROW_NUMBER() OVER (
               PARTITION BY s.execution_id
               ORDER BY s.last_update_time DESC, CASE WHEN s.deleted THEN 1 ELSE 0 END DESC, s.event_id DESC
           ) AS rn
    FROM stage_workflow_events s
) ranked
WHERE rn = 1;

-- An older state that arrives late never overwrites a newer one already loaded (deletes
-- included: the version table keeps a tombstone). The same event again (a rerun of its hour)
-- is re-applied, which rewrites identical rows.
DELETE FROM workflow_winners
USING datalake_ops.workflow_execution_version known
WHERE known.id = workflow_winners.execution_id
  AND (
      workflow_winners.last_update_time < known.last_update_time
      OR (workflow_winners.last_update_time = known.last_update_time
          AND (CASE WHEN workflow_winners.deleted THEN 1 ELSE 0 END < CASE WHEN known.deleted THEN 1 ELSE 0 END
               OR (workflow_winners.deleted = known.deleted AND workflow_winners.event_id < known.event_id)))
  );
