-- After the COPY into stage_keys (stage_keys_local.sql).
CREATE INDEX ON stage_keys (id, _seq);
ANALYZE stage_keys;
