-- The later copies (every staged copy but the first delivered, lowest _seq) of event ids
-- staged more than once in this run whose content hash differs from the first copy's: the
-- dedupe drops them next (dedupe.sql), and the load quarantines them as conflicting duplicates
-- (hourly/conflicts.py), with this run as the one that loaded the first copy. Only repeated ids
-- come out of the GROUP BY. Same SQL on Redshift.
SELECT later.event_id, later._seq, first_copy.content_hash, later.content_hash
FROM stage_workflow_events later
JOIN (
    SELECT event_id, MIN(_seq) AS first_seq
    FROM stage_workflow_events
    GROUP BY event_id
    HAVING COUNT(*) > 1
) repeated ON repeated.event_id = later.event_id
JOIN stage_workflow_events first_copy
  ON first_copy.event_id = repeated.event_id AND first_copy._seq = repeated.first_seq
WHERE later._seq > repeated.first_seq
  AND later.content_hash <> first_copy.content_hash
ORDER BY later._seq;
