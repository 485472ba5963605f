-- After the COPY into stage_entity_operations (stage_local.sql).
CREATE INDEX ON stage_entity_operations (id, _seq);
ANALYZE stage_entity_operations;
