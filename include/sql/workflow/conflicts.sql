-- The staged first copies (lowest _seq of their id in this run) of event ids another arrival
-- hour already loaded with other content (hourly/conflicts.py): the dedupe drops them next
-- (dedupe.sql), and the load quarantines them as conflicting duplicates instead of letting
-- them disappear. An owner without a hash (loaded before hashes were kept) is unknown
-- content: its copies stay plain duplicates. Same SQL on Redshift.
SELECT s.event_id, s._seq, o.run_key, o.content_hash, s.content_hash
FROM stage_workflow_events s
JOIN datalake_ops.workflow_event_owner o ON o.id = s.event_id
WHERE o.run_key <> %(run_key)s
  AND o.content_hash <> s.content_hash
  AND NOT EXISTS (
      SELECT 1 FROM stage_workflow_events first_copy
      WHERE first_copy.event_id = s.event_id
        AND first_copy._seq < s._seq
  )
ORDER BY s.event_id;
