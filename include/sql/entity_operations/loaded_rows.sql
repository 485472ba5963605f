-- The loaded rows of some event ids (the conflicting-duplicate check, entity/conflicts.py):
-- `ids` is a list of placeholders (Redshift has no arrays), at most a thousand at a time.
SELECT {{ columns }}
FROM epilot_datalake.entity_operations
WHERE id IN ({{ ids }});
