-- Deduplicate the staged events by event id (delivery is at-least-once).
-- Same rules as include/sql/entity_operations/dedupe.sql. Child rows of a dropped copy stay
-- in their stage tables but are never selected: the merge joins them on (_event_id, _seq).
-- 1. Within the run: keep the first delivered copy (lowest _seq).
DELETE FROM stage_workflow_events
WHERE EXISTS (
    SELECT 1 FROM stage_workflow_events first_copy
    WHERE first_copy.event_id = stage_workflow_events.event_id
      AND first_copy._seq < stage_workflow_events._seq
);
-- 2. Across runs: an event id already loaded by another arrival hour belongs to that run; a
--    rerun of the same hour keeps (and re-applies) its own events.
DELETE FROM stage_workflow_events
USING datalake_ops.workflow_event_owner owner
WHERE owner.id = stage_workflow_events.event_id
  AND owner.run_key <> %(run_key)s;
