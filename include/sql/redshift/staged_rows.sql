-- Redshift: the staged rows of some _seq values (the conflicting-duplicate check,
-- entity/conflicts.py); a handful of rows, so the list is inlined.
SELECT {{ columns }}
FROM stage_entity_operations
WHERE _seq IN ({{ seqs }});
