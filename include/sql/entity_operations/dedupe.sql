-- Deduplicate the staged keys by event id (delivery is at-least-once). The rows this
-- run loads are the staged rows whose _seq is left in stage_keys.
-- 1. Within the run: keep the first delivered copy (lowest _seq).
DELETE FROM stage_keys
WHERE EXISTS (
    SELECT 1 FROM stage_keys first_copy
    WHERE first_copy.id = stage_keys.id
      AND first_copy._seq < stage_keys._seq
);
-- 2. Across runs: an id already loaded by another arrival hour belongs to that run; a rerun
--    of the same hour keeps (and replaces) its own ids.
DELETE FROM stage_keys
USING datalake_ops.entity_event_owner owner
WHERE owner.id = stage_keys.id
  AND owner.run_key <> %(run_key)s;
