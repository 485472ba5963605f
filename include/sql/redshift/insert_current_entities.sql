-- Redshift: current_entities' new rows, the winners of current_entities_rank.sql, from the
-- run's stage (already kept to the deduped rows), matched by _seq.
INSERT INTO epilot_datalake.current_entities
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT s.id, s."detail-type", s.operation, s.source, s.account, s.time, s.region, s.activity_id, s.entity_id,
       s.detail, s.schema, s.month, s.year
FROM stage_entity_operations s
JOIN stage_latest latest ON latest._seq = s._seq
WHERE latest.operation <> 'deleteEntity';
