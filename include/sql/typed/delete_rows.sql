-- The queued entities of this schema leave its table (deleted ones for good, the others are
-- inserted again from their current payload).
DELETE FROM {{ schema }}.{{ table }} t
WHERE t.entity_id IN (SELECT entity_id FROM typed_ids)
