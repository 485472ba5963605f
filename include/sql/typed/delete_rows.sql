-- The queued entities of this schema leave its table (deleted ones for good, the others are
-- inserted again from their current payload). The ids as an array: the planner probes the key
-- once per id, where a semi-join with typed_ids read the organisation's whole table for a few
-- changed rows.
DELETE FROM {{ schema }}.{{ table }} t
WHERE t.entity_id = ANY (ARRAY(SELECT entity_id FROM typed_ids))
