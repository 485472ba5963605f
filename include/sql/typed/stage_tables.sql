-- The refresh's working tables, created once per refresh and emptied by each organisation's
-- commit: creating and dropping them in every organisation's transaction was a good part of a
-- small hour's cost. The queued entities of the organisation being refreshed (incremental),
-- and the current payloads to write.
CREATE TEMP TABLE IF NOT EXISTS typed_ids (
    entity_id     varchar(64) NOT NULL,
    entity_schema varchar(128)
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS typed_stage (
    entity_id     varchar(64) NOT NULL,
    entity_schema varchar(128),
    event_time    timestamptz,
    p             jsonb
) ON COMMIT DELETE ROWS;
