-- The staged first copies (lowest _seq of their id in this run) of event ids another arrival
-- hour already loaded, with that hour: the dedupe drops them next (dedupe.sql); before that the
-- load compares each with the row loaded (entity/conflicts.py), and a copy with different
-- content is quarantined as a conflicting duplicate instead of disappearing silently.
SELECT s.id, s._seq, o.run_key
FROM stage_keys s
JOIN datalake_ops.entity_event_owner o ON o.id = s.id
WHERE o.run_key <> %(run_key)s
  AND NOT EXISTS (
      SELECT 1 FROM stage_keys first_copy
      WHERE first_copy.id = s.id
        AND first_copy._seq < s._seq
  )
ORDER BY s.id;
