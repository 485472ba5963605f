-- Deduplicate the staged rows by event id (SPEC §1: delivery is at-least-once).
-- 1. Within the run: keep the first delivered copy (lowest _seq).
DELETE FROM stage_entity_operations
WHERE EXISTS (
    SELECT 1 FROM stage_entity_operations first_copy
    WHERE first_copy.id = stage_entity_operations.id
      AND first_copy._seq < stage_entity_operations._seq
);
-- 2. Across runs: an id already loaded by another arrival hour belongs to that run; a rerun
--    of the same hour keeps (and replaces) its own ids.
DELETE FROM stage_entity_operations
USING datalake_ops.entity_event_owner owner
WHERE owner.id = stage_entity_operations.id
  AND owner.run_key <> %(run_key)s;
